/// Turns each image to grayscale (Keras's weights, on every channel) with probability `factor`,
/// in training; at inference the images pass unchanged (the draw is made all the same, as
/// Keras's generator moves on in both). Keras: `keras.layers.RandomGrayscale`.
public final class RandomGrayscale: ImageLayer, @unchecked Sendable {
    /// The probability of turning an image to grayscale, in `[0, 1]`.
    public let factor: Double

    public init(factor: Double = 0.5, dataFormat: DataFormat = .channelsLast, seed: Int? = nil, name: String? = nil) throws {
        guard (0...1).contains(factor) else {
            throw KerasError.invalidArgument("RandomGrayscale: `factor` should be between 0 and 1. Received: factor=\(factor)")
        }
        self.factor = factor
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let n = try imageCount(x)
        // Keras: `random.uniform((batch,)) < factor`, drawn at inference too.
        let draws = drawKeys.uniform(n)
        guard training else { return x }
        let apply = draws.map { $0 < Float(factor) }
        return try graying(x, apply)
    }

    /// The images with those marked in `apply` turned to grayscale.
    func graying(_ x: Tensor, _ apply: [Bool]) throws -> Tensor {
        try mapPixels(x, grayscaleToo: true) { b, p in
            guard apply[b] else { return }
            let g = grayscale(p[0], p[1], p[2])
            (p[0], p[1], p[2]) = (g, g, g)
        }
    }
}

extension RandomGrayscale: DeclaredLayer {
    /// Keras: `RandomGrayscale(factor=0.5, data_format=None, seed=None)`; its config writes no
    /// seed.
    public static let declaration = LayerDeclaration(RandomGrayscale.self, constructorOrder: ["factor", "data_format", "seed"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("factor", \.factor, default: 0.5),
        .unsaved("seed"),
    ]) { c in
        try c.refuseNone("factor")
        return try RandomGrayscale(factor: c.double("factor"), dataFormat: c.imageDataFormat(),
                            seed: c.seed(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomGrayscale.self, $0) }
