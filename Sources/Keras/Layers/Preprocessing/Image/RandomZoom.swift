/// In training, zooms each image about its centre by `1 + z`, `z` drawn from `heightFactor`'s
/// range (and `widthFactor`'s, else the same zoom for both axes; negative `z` zooms in); at
/// inference the images pass unchanged. Keras: `keras.layers.RandomZoom`.
public final class RandomZoom: AffineAugmentation, @unchecked Sendable {
    let heightFactor: ImageFactor
    let widthFactor: ImageFactor?

    /// - Parameters:
    ///   - heightFactor: a number `f` (`[−f, f]`) or a pair, each in `(−1, 1]`.
    ///   - widthFactor: the same for the width; nil keeps the aspect ratio.
    public init(heightFactor: JSON, widthFactor: JSON? = nil, fillMode: String = "reflect", interpolation: String = "bilinear",
                seed: Int? = nil, fillValue: Double = 0, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.heightFactor = try ImageFactor(heightFactor, bounds: -1...1, layer: "RandomZoom", argument: "height_factor", clampLower: false)
        self.widthFactor = try widthFactor.flatMap { $0.isNull ? nil : try ImageFactor($0, bounds: -1...1, layer: "RandomZoom", argument: "width_factor", clampLower: false) }
        try super.init(fillMode: fillMode, interpolation: interpolation, fillValue: fillValue, seed: seed,
                       dataFormat: dataFormat, name: name, layer: "RandomZoom")
    }

    /// Keras: `random.uniform((batch, 1), 1 + lower, 1 + upper)` for the height zoom, then as
    /// much for the width's (else the height's), and its `_get_zoom_matrix` (float32).
    override func transforms(count: Int, height: Int, width: Int, keys nextKey: () -> ThreefryKey) -> [[Float]] {
        func zooms(_ f: ImageFactor) -> [Float] { nextKey().uniform(count: count, minval: Float(1 + f.lower), maxval: Float(1 + f.upper)) }
        let zy = zooms(heightFactor)
        var zx = zy
        if let widthFactor { zx = zooms(widthFactor) }
        let (cx, cy) = ((Float(width) - 1) / 2, (Float(height) - 1) / 2)
        return (0..<count).map { b in [zx[b], 0, cx * (1 - zx[b]), 0, zy[b], cy * (1 - zy[b])] }
    }
}

extension RandomZoom: DeclaredLayer {
    /// Keras: `RandomZoom(height_factor, width_factor=None, fill_mode="reflect",
    /// interpolation="bilinear", seed=None, fill_value=0.0, data_format=None)`.
    public static let declaration = LayerDeclaration(RandomZoom.self, constructorOrder: [
        "height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .required("height_factor") { $0.heightFactor.given },
        .optional("width_factor", default: nil) { $0.widthFactor?.given ?? .null },
        .optional("fill_mode", \.fillMode, default: .reflect),
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("seed", \.seed, default: nil),
        .optional("fill_value", \.fillValue, default: 0),
    ]) { c in
        try RandomZoom(heightFactor: c.pythonNumber("height_factor") ?? nil, widthFactor: c.pythonNumber("width_factor"), fillMode: c.givenString("fill_mode"),
                       interpolation: c.givenString("interpolation"), seed: c.seed(), fillValue: c.double("fill_value"),
                       dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomZoom.self, $0) }
