/// In training, pastes into each image of a batch a rectangle of another (a random
/// permutation): with `λ` drawn per image from Beta(`a`, `a`), `a` drawn once per call from
/// `factor`'s range, the rectangle's sides are `√(1 − λ)` of the image's and its place is drawn
/// uniformly. Single images, and all images at inference, pass unchanged. Keras:
/// `keras.layers.CutMix` (on images, and on its dict of images and labels,
/// ``call(images:labels:training:)``).
public final class CutMix: ImageLayer, @unchecked Sendable {
    let factor: ImageFactor

    /// - Parameter factor: the range of the Beta parameter, a number `f` (`[0, f]`) or a pair,
    ///   in `[0, 1]`.
    public init(factor: JSON = 1.0, seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "CutMix", argument: "factor")
        super.init(dataFormat: dataFormat, seed: seed, draws: true, name: name)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        try cut(x, labels: nil, training: training).images
    }

    /// Keras's CutMix of `{"images": x, "labels": labels}`: the images cut as
    /// ``call(_:training:)`` cuts them, and each sample's labels (batch, classes) mixed with
    /// those of the image pasted into it, `λ·own + (1 − λ)·pasted`, where λ is one minus the
    /// box's share of the image from its unrounded corners (Keras's `mix_weight`), not the share
    /// of the pixels it covers. Single images, and all at inference, pass unchanged with their
    /// labels.
    public func call(images x: Tensor, labels: Tensor, training: Bool) throws -> (images: Tensor, labels: Tensor) {
        if x.rank == 4 {
            guard labels.rank == 2, labels.shape[0] == x.shape[0] else {
                throw KerasError.shapeMismatch("CutMix '\(name)': expected labels of shape (batch, classes) for images of shape \(formatShape(x.shape.map { Optional($0) })), got \(formatShape(labels.shape.map { Optional($0) }))")
            }
        }
        let r = try cut(x, labels: labels.detached, training: training)
        return (r.images, r.labels ?? labels)
    }

    private func cut(_ x: Tensor, labels: Tensor?, training: Bool) throws -> (images: Tensor, labels: Tensor?) {
        guard training, x.rank != 3 else { return (x, labels) }
        var mixed = labels
        let images = try onBatch(x.detached) { t in   // (a rank other than 3 or 4 is refused there)
            // Keras draws the Beta parameter (`random.uniform((), lower, upper) + 1e-6`), the
            // weights (`random.beta((batch,), a, a)`), the x and the y starts (each
            // `random.uniform((batch,))`) and the permutation, each with the next key.
            let (n, h, w, c) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
            let keys = drawKeys
            let a = keys.uniform(1, factor.lower, factor.upper)[0] + 1e-6
            let ratios = keys.beta(n, a, a).map { (1 - $0).squareRoot() }
            let startsX = keys.uniform(n), startsY = keys.uniform(n)
            let order = keys.shuffled(n)
            let out = t.copy()
            var kept = [Float](repeating: 1, count: n)
            for b in 0..<n {
                let box = ImageBox(unit: (startsX[b], startsY[b]), height: h, width: w, ratio: (x: ratios[b], y: ratios[b]))
                kept[b] = 1 - (box.x1 - box.x0) * (box.y1 - box.y0) / Float(w * h)
                let o = out.data + b * h * w * c, src = t.data + order[b] * h * w * c
                for y in 0..<h where box.containsRow(y) {
                    for xo in 0..<w where box.containsColumn(xo) {
                        for k in 0..<c { o[(y * w + xo) * c + k] = src[(y * w + xo) * c + k] }
                    }
                }
            }
            if let labels {
                let m = labels.shape[1], l = labels.data
                let result = Tensor.uninitialized(labels.shape)
                let r = result.data
                for b in 0..<n {
                    for j in 0..<m { r[b * m + j] = kept[b] * l[b * m + j] + (1 - kept[b]) * l[order[b] * m + j] }
                }
                mixed = result
            }
            return out
        }
        return (images, mixed)
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
        try CutMix(factor: c.pythonNumber("factor") ?? 1.0, seed: c.seed(), dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(CutMix.self, $0) }
