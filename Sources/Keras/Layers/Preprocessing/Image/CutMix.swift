/// In training, pastes into each image of a batch a rectangle of another (a random
/// permutation): with `λ` drawn per image from Beta(`a`, `a`), `a` drawn once per call from
/// `factor`'s range, the rectangle's sides are `√(1 − λ)` of the image's and its place is drawn
/// uniformly. Single images, and all images at inference, pass unchanged. Keras:
/// `keras.layers.CutMix` (on images; its dict form that mixes labels too is not offered).
public final class CutMix: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor

    /// - Parameter factor: the range of the Beta parameter, a number `f` (`[0, f]`) or a pair,
    ///   in `[0, 1]`.
    public init(factor: JSON = 1.0, seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "CutMix", argument: "factor")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard training, x.rank != 3 else { return x }
        return try onBatch(x.detached) { t in   // (a rank other than 3 or 4 is refused there)
            // Keras draws the Beta parameter, the weights, the x and y starts and the permutation.
            let rng = random(draws: 5)
            let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
            let a = Double(Float(factor.sample(rng)) + 1e-6)
            let order = rng.permutation(n)
            let out = t.copy()
            for b in 0..<n {
                let ratio = Float(1 - rng.beta(a, a)).squareRoot()
                let box = ImageBox(random: rng, height: h, width: w, ratio: (x: ratio, y: ratio))
                let o = out.data + b * h * w * c, src = t.data + order[b] * h * w * c
                for y in 0..<h where box.containsRow(y) {
                    for xo in 0..<w where box.containsColumn(xo) {
                        for k in 0..<c { o[(y * w + xo) * c + k] = src[(y * w + xo) * c + k] }
                    }
                }
            }
            return out
        }
    }
}

extension CutMix: DeclaredLayer {
    /// Keras: `CutMix(factor=1.0, seed=None, data_format=None)`; the config writes the factor as
    /// a pair.
    public static let declaration = LayerDeclaration(CutMix.self, constructorOrder: ["factor", "seed", "data_format"], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("factor", default: 1.0) { $0.factor.pair },
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try CutMix(factor: c["factor"] ?? 1.0, seed: c.optionalInt("seed"), dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(CutMix.self, $0) }
