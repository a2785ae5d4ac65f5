/// In training, warps each image, with probability drawn from `factor`'s range, by the
/// perspective that moves its corners `(0, 0)`, `(w−1, 0)`, `(0, h−1)`, `(w−1, h−1)` to
/// `p + p·d`, each `d` drawn from `[−scale/2, scale/2]`; points from outside take `fillValue`.
/// At inference the images pass unchanged. Keras: `keras.layers.RandomPerspective`.
public final class RandomPerspective: AffineAugmentation, @unchecked Sendable {
    let factor: ImageFactor
    /// How far the corners move, in `[0, 1]`.
    public let scale: Double

    /// - Parameter factor: the warping probability, a number `f` (`[0, f]`) or a pair, in `[0, 1]`.
    public init(factor: JSON = 1.0, scale: Double = 1.0, interpolation: String = "bilinear", fillValue: Double = 0,
                seed: Int? = nil, dataFormat: DataFormat = .channelsLast, name: String? = nil) throws {
        self.factor = try ImageFactor(factor, bounds: 0...1, layer: "RandomPerspective", argument: "factor")
        guard (0...1).contains(scale) else {
            throw KerasError.invalidArgument("RandomPerspective: the `scale` argument should be a number in the range [0,1]. Received: scale=\(scale)")
        }
        self.scale = scale
        try super.init(fillMode: "constant", interpolation: interpolation, fillValue: fillValue, seed: seed,
                       dataFormat: dataFormat, name: name, layer: "RandomPerspective")
    }

    /// Keras draws, each with the next key, the probabilities (`random.uniform((batch,), lower,
    /// upper)`), the thresholds (`random.uniform((batch,))`) and the corners' moves
    /// (`random.uniform((batch, 4, 2), −scale/2, scale/2)`, x then y of each corner); an image is
    /// warped where its threshold is below its probability, by the map taking each moved corner
    /// `p + p·d` (float32) to `p`.
    override func transforms(count: Int, height: Int, width: Int, keys nextKey: () -> ThreefryKey) -> [[Float]] {
        let probabilities = nextKey().uniform(count: count, minval: Float(factor.lower), maxval: Float(factor.upper))
        let thresholds = nextKey().uniform(count: count)
        let moves = nextKey().uniform(count: 8 * count, minval: Float(-0.5 * scale), maxval: Float(0.5 * scale))
        let corners: [(Float, Float)] = [(0, 0), (Float(width - 1), 0), (0, Float(height - 1)), (Float(width - 1), Float(height - 1))]
        return (0..<count).map { b in
            let moved = corners.indices.map { i -> (Float, Float) in
                let p = corners[i]
                return (p.0 + p.0 * moves[8 * b + 2 * i], p.1 + p.1 * moves[8 * b + 2 * i + 1])
            }
            guard thresholds[b] < probabilities[b], let h = Self.homography(from: moved, to: corners) else { return [1, 0, 0, 0, 1, 0] }
            return h
        }
    }

    /// The map `[a0, a1, a2, b0, b1, b2, c0, c1]` taking each point of `from` to the matching
    /// point of `to`: Keras's `compute_homography_matrix(start_points=to, end_points=from)`, its
    /// 8 × 8 system solved in float32 as jax's `linalg.solve` solves it on the CPU (LU with
    /// partial pivoting, each column scaled by its pivot's reciprocal; then the unit lower
    /// triangle, and the upper one a column at a time, each unknown times its pivot's
    /// reciprocal), so that the maps agree with Keras's to the bit, not only to float32's
    /// accuracy (near-singular systems, whose solution float32 moves far, are common). Nil when
    /// the points do not fix one.
    static func homography(from: [(Float, Float)], to: [(Float, Float)]) -> [Float]? {
        var a: [[Float]] = [], x: [Float] = []
        for ((ex, ey), (sx, _)) in zip(from, to) { a.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey]); x.append(sx) }
        for ((ex, ey), (_, sy)) in zip(from, to) { a.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey]); x.append(sy) }
        let n = 8
        guard a.count == n else { return nil }
        for k in 0..<n {
            var pivot = k
            for r in (k + 1)..<n where abs(a[r][k]) > abs(a[pivot][k]) { pivot = r }
            guard a[pivot][k] != 0 else { return nil }
            a.swapAt(k, pivot)
            x.swapAt(k, pivot)
            let reciprocal = 1 / a[k][k]
            for i in (k + 1)..<n {
                a[i][k] *= reciprocal
                for j in (k + 1)..<n { a[i][j] -= a[i][k] * a[k][j] }
            }
        }
        for i in 0..<n { for j in 0..<i { x[i] -= a[i][j] * x[j] } }
        for j in (0..<n).reversed() {
            x[j] *= 1 / a[j][j]
            for i in 0..<j { x[i] -= a[i][j] * x[j] }
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}

extension RandomPerspective: DeclaredLayer {
    /// Keras: `RandomPerspective(factor=1.0, scale=1.0, interpolation="bilinear",
    /// fill_value=0.0, seed=None, data_format=None)`; the config writes the factor as a pair.
    public static let declaration = LayerDeclaration(RandomPerspective.self, constructorOrder: [
        "factor", "scale", "interpolation", "fill_value", "seed", "data_format",
    ], arguments: [
        .optional("data_format", \.dataFormat, default: .channelsLast),
        .optional("factor", default: 1.0) { $0.factor.pair },
        .optional("scale", \.scale, default: 1.0),
        .optional("interpolation", \.interpolation, default: .bilinear),
        .optional("fill_value", \.fillValue, default: 0),
        .optional("seed", \.seed, default: nil),
    ]) { c in
        try c.refuseNone("scale")
        return try RandomPerspective(factor: c.pythonNumber("factor") ?? 1.0, scale: c.double("scale"), interpolation: c.givenString("interpolation"),
                              fillValue: c.double("fill_value"), seed: c.seed(),
                              dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomPerspective.self, $0) }
