/// In training, flips each image with probability 1/2 (left-right, up-down, or both at once for
/// `horizontal_and_vertical`, one draw per image as Keras); at inference the images pass
/// unchanged. Keras: `keras.layers.RandomFlip`.
public final class RandomFlip: ImageLayer, @unchecked Sendable {
    /// `horizontal`, `vertical` or `horizontal_and_vertical`.
    public let mode: String

    public init(mode: String = "horizontal_and_vertical", seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        guard ["horizontal", "vertical", "horizontal_and_vertical"].contains(mode) else {
            throw KerasError.invalidArgument("RandomFlip: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got '\(mode)'")
        }
        self.mode = mode
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training else { return x }
        return try onBatch(x.detached) { t in
            let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
            let out = Tensor.uninitialized(t.shape)
            let p = t.data, o = out.data
            // Keras: `random.uniform((batch, 1, 1, 1)) <= 0.5`, one draw per image.
            let key = drawKey()
            for b in 0..<n {
                let flip = key.unit(at: b) <= 0.5
                let fh = flip && mode != "vertical", fv = flip && mode != "horizontal"
                for y in 0..<h {
                    let sy = fv ? h - 1 - y : y
                    for xo in 0..<w {
                        let sx = fh ? w - 1 - xo : xo
                        (o + ((b * h + y) * w + xo) * c).update(from: p + ((b * h + sy) * w + sx) * c, count: c)
                    }
                }
            }
            return out
        }
    }
}

extension RandomFlip: DeclaredLayer {
    /// Keras: `RandomFlip(mode="horizontal_and_vertical", seed=None, data_format=None)`.
    public static let declaration = LayerDeclaration(RandomFlip.self, constructorOrder: ["mode", "seed", "data_format"], checkedWhenBuilt: ["mode": nil], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("seed", \.seed, default: nil),
        .optional("mode", \.mode, default: "horizontal_and_vertical"),
    ]) { c in
        try RandomFlip(mode: c.string("mode"), seed: c.seed(), dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomFlip.self, $0) }
