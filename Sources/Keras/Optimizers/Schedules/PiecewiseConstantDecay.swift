/// A constant rate between step boundaries: `values[0]` up to and including `boundaries[0]`,
/// `values[i]` in `(boundaries[i-1], boundaries[i]]`, the last value after the last boundary.
/// Keras: `PiecewiseConstantDecay(boundaries, values)`.
public final class PiecewiseConstantDecay: LearningRateSchedule, @unchecked Sendable {
    public let boundaries: [Double]
    public let values: [Double]

    public init(boundaries: [Double], values: [Double], name: String = "PiecewiseConstant") throws {
        guard boundaries.count == values.count - 1 else {
            throw KerasError.invalidArgument("PiecewiseConstantDecay(boundaries: \(boundaries), values: \(values)): there must be one value more than boundaries")
        }
        guard values.allSatisfy(\.isFinite), boundaries.allSatisfy(\.isFinite) else {
            throw KerasError.invalidArgument("PiecewiseConstantDecay(boundaries: \(boundaries), values: \(values)): boundaries and values must be finite")
        }
        self.boundaries = boundaries
        self.values = values
        super.init(name: name)
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("PiecewiseConstantDecay", config)
        guard let b = try a.doubles("boundaries"), let v = try a.doubles("values") else {
            throw KerasError.invalidArgument("PiecewiseConstantDecay: boundaries and values are required")
        }
        let name = try a.string("name") ?? "PiecewiseConstant"
        try a.finish()
        try self.init(boundaries: b, values: v, name: name)
    }

    public override func value(at step: Double) -> Double {
        for (i, b) in boundaries.enumerated() where step <= b { return values[i] }
        return values[values.count - 1]
    }

    public override var config: JSON {
        ["boundaries": .array(boundaries.map { .number($0) }), "values": .array(values.map { .double($0) }),
         "name": .string(name)]
    }
}
