/// An `axis` (or `axes`) argument that Keras takes as one integer or as a list of integers
/// (`LayerNormalization(axis=-1)`, `LayerNormalization(axis=[1, 2])`, `Dot(axes=(1, 2))`);
/// its config keeps the form it was given in.
///
/// ```swift
/// let a: AxisList = -1        // axis=-1
/// let b: AxisList = [1, 2]    // axis=[1, 2]
/// ```
public struct AxisList: Equatable, Sendable, LayerArgumentValue, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    /// The axes (negative counts from the end), one when given as an integer.
    public let axes: [Int]
    /// Whether the argument was a list (written as a list in the config).
    public let isList: Bool

    /// One axis, given as an integer.
    public init(_ axis: Int) {
        axes = [axis]
        isList = false
    }

    /// Axes given as a list.
    public init(_ axes: [Int]) {
        self.axes = axes
        isList = true
    }

    public init(integerLiteral value: Int) { self.init(value) }
    public init(arrayLiteral elements: Int...) { self.init(elements) }

    public var configValue: JSON { isList ? .array(axes.map { .int($0) }) : .int(axes.first ?? -1) }

    /// The axes made non-negative for inputs of `rank`, sorted; throws naming `owner` (the layer)
    /// and `argument` when one is out of range or repeated.
    public func resolved(rank: Int, _ owner: String, argument: String = "axis") throws -> [Int] {
        var out: [Int] = []
        for a in axes {
            let n = a < 0 ? a + rank : a
            guard n >= 0 && n < rank else {
                throw KerasError.invalidArgument("\(owner): \(argument) \(configValue) is out of bounds for inputs of rank \(rank) (axis \(a))")
            }
            guard !out.contains(n) else {
                throw KerasError.invalidArgument("\(owner): \(argument) \(configValue) names axis \(n) twice")
            }
            out.append(n)
        }
        return out.sorted()
    }

    /// Reads the argument from a config value: an integer or a list of integers.
    public init(config value: JSON?, _ owner: String, argument: String) throws {
        if let i = value?.intValue {
            self.init(i)
            return
        }
        guard let list = value?.arrayValue, list.count <= 32 else {
            throw KerasError.io("\(owner) config: '\(argument)' must be an integer or a list of integers, got \(value?.description.prefix(80) ?? "nothing")")
        }
        self.init(try list.map { v -> Int in
            guard let i = v.intValue else {
                throw KerasError.io("\(owner) config: '\(argument)' must be an integer or a list of integers, got \(value?.description.prefix(80) ?? "nothing")")
            }
            return i
        })
    }
}
