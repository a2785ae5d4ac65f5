/// Splits the channels of `axis` into `groups` groups and normalizes each sample's groups
/// (over the group's channels and every other non-batch axis) to zero mean and unit variance,
/// then scales by `gamma` and shifts by `beta` per channel. `groups: -1` makes one group per
/// channel (instance normalization). Keras: `keras.layers.GroupNormalization`.
///
/// ```swift
/// let norm = try GroupNormalization(groups: 4)   // channels must be a multiple of 4
/// ```
public final class GroupNormalization: AffineNormalization, @unchecked Sendable {
    /// The number of groups; -1 until built means one per channel (then the channel count).
    public private(set) var groups: Int
    /// The channel axis (negative counts from the end).
    public let axis: Int

    public init(groups: Int = 32, axis: Int = -1, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
                affine: AffineOptions = AffineOptions(), name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil) throws {
        guard groups > 0 || groups == -1 else {
            throw KerasError.invalidArgument("GroupNormalization(groups: \(groups)): groups must be a positive integer (or -1 for instance normalization)")
        }
        self.groups = groups
        self.axis = axis
        super.init(epsilon: epsilon, center: center, scale: scale, affine: affine, name: name, trainable: trainable, inputShape: inputShape)
    }

    private var owner: String { "GroupNormalization '\(name)'" }

    /// The channel axis counted from the front; the batch axis cannot be it.
    private func channelAxis(rank: Int) throws -> Int {
        let a = try AxisList(axis).resolved(rank: rank, owner)[0]
        guard a > 0 else { throw KerasError.invalidArgument("\(owner): axis \(axis) is the batch axis") }
        return a
    }

    public override func build(_ inputShape: [Int?]) throws {
        let a = try channelAxis(rank: inputShape.count)
        guard let channels = inputShape[a] else {
            throw KerasError.shapeMismatch("\(owner): axis \(axis) of the input must be known, got \(formatShape(inputShape))")
        }
        let g = groups == -1 ? channels : groups
        guard g <= channels else {
            throw KerasError.invalidArgument("\(owner): groups \(g) cannot be more than the number of channels (\(channels))")
        }
        guard channels % g == 0 else {
            throw KerasError.invalidArgument("\(owner): the number of channels (\(channels)) must be a multiple of groups \(g)")
        }
        groups = g
        addAffineWeights(shape: [channels], withGamma: scale, withBeta: center)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let a = try channelAxis(rank: x.rank)
        let channels = x.shape[a]
        guard groups > 0, channels % groups == 0, (gamma ?? beta).map({ $0.shape == [channels] }) ?? true else {
            throw KerasError.shapeMismatch("\(owner): expected a channel count divisible by groups \(groups) (as built) on axis \(axis), got input of shape \(x.shape)")
        }
        // (..., C, ...) → (..., groups, C / groups, ...): statistics per sample and group.
        var grouped = x.shape
        grouped[a] = channels / groups
        grouped.insert(groups, at: a)
        let reshaped = try Ops.reshape(x, grouped)
        let axes = (1..<grouped.count).filter { $0 != a }
        let mean = try Ops.mean(reshaped, axes: axes, keepDims: true)
        let centered = try Ops.subtract(reshaped, mean)
        let variance = try Ops.mean(Ops.square(centered), axes: axes, keepDims: true)
        let inv = Ops.pow(Ops.affine(variance, scale: 1, offset: Float(epsilon)), -0.5)
        var out = try Ops.reshape(Ops.multiply(centered, inv), x.shape)
        var column = Array(repeating: 1, count: x.rank)
        column[a] = channels
        if let gamma { out = try Ops.multiply(out, Ops.reshape(gamma.value, column)) }
        if let beta { out = try Ops.add(out, Ops.reshape(beta.value, column)) }
        return out
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        _ = try channelAxis(rank: inputShape.count)
        return inputShape
    }
}

extension GroupNormalization: DeclaredLayer {
    /// Keras: `GroupNormalization(groups=32, axis=-1, epsilon=0.001, center=True, scale=True, ...)`.
    public static let declaration = LayerDeclaration(GroupNormalization.self, checkedWhenBuilt: ["axis": nil, "epsilon": nil], arguments: [
        .optional("groups", \.groups, default: 32),
        .optional("axis", \.axis, default: -1),
        .optional("epsilon", \.epsilon, default: 1e-3),
        .optional("center", \.center, default: true),
        .optional("scale", \.scale, default: true),
    ] + affineArguments(GroupNormalization.self)) { c in
        // (a Python int: Keras's isinstance test refuses a numpy integer, a float, None or a string)
        guard case .int(let groups)? = c.pythonNumber("groups") else {
            throw KerasError.invalidArgument("GroupNormalization: Received an invalid value for argument `groups`, expected a positive integer (or `-1` for instance normalization). Received: groups=\(c["groups"]?.description.prefix(40) ?? "None")")
        }
        return try GroupNormalization(
            groups: groups, axis: try c.int("axis"), epsilon: try c.double("epsilon"),
            center: try c.bool("center"), scale: try c.bool("scale"), affine: try c.affineOptions(), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GroupNormalization.self, $0) }
