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

    /// Keras draws the probabilities, the thresholds and the corners' moves.
    override var drawsPerCall: Int { 3 }

    override func transforms(count: Int, height: Int, width: Int, random: RandomGenerator) -> [[Double]] {
        let corners: [(Double, Double)] = [(0, 0), (Double(width - 1), 0), (0, Double(height - 1)), (Double(width - 1), Double(height - 1))]
        return (0..<count).map { _ in
            let applied = random.uniform() < Float(factor.sample(random))
            let moved = corners.map { p -> (Double, Double) in
                let dx = Double(random.uniform(Float(-0.5 * scale), Float(0.5 * scale)))
                let dy = Double(random.uniform(Float(-0.5 * scale), Float(0.5 * scale)))
                return (Double(Float(p.0 + p.0 * dx)), Double(Float(p.1 + p.1 * dy)))
            }
            guard applied, let h = Self.homography(from: moved, to: corners) else { return [1, 0, 0, 0, 1, 0] }
            return h
        }
    }

    /// The map `[a0, a1, a2, b0, b1, b2, c0, c1]` taking each point of `from` to the matching
    /// point of `to` (Keras's `compute_homography_matrix(start_points=to, end_points=from)`);
    /// nil when the points do not fix one (Gaussian elimination with partial pivoting).
    static func homography(from: [(Double, Double)], to: [(Double, Double)]) -> [Double]? {
        var rows: [[Double]] = []
        for ((ex, ey), (sx, _)) in zip(from, to) { rows.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey, sx]) }
        for ((ex, ey), (_, sy)) in zip(from, to) { rows.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey, sy]) }
        let n = 8
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(rows[$0][col]) < abs(rows[$1][col]) }), abs(rows[pivot][col]) > 1e-12 else {
                return nil
            }
            rows.swapAt(col, pivot)
            for r in 0..<n where r != col {
                let f = rows[r][col] / rows[col][col]
                if f != 0 { for k in col...n { rows[r][k] -= f * rows[col][k] } }
            }
        }
        let solution = (0..<n).map { rows[$0][n] / rows[$0][$0] }
        return solution.allSatisfy(\.isFinite) ? solution : nil
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
        try RandomPerspective(factor: c["factor"] ?? 1.0, scale: c.double("scale"), interpolation: c.string("interpolation"),
                              fillValue: c.double("fill_value"), seed: c.optionalInt("seed"),
                              dataFormat: DataFormat.named(c.string("data_format")), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(RandomPerspective.self, $0) }
