#if canImport(Glibc)
import Glibc
#endif

/// An activation function, named as Keras names it (`"relu"`, `"softmax"`) or a custom closure
/// over differentiable ops. Keras: `keras.activations`. The layer that applies one is ``Activation``.
///
/// ```swift
/// Dense(64, activation: .relu)
/// Dense(64, activation: try .named("tanh"))
/// Dense(64, activation: .custom("swish2") { x in try x * Ops.sigmoid(x * 2) })
/// ```
public struct ActivationFunction: Equatable, CustomStringConvertible, @unchecked Sendable {
    /// The Keras name, used in configs.
    public let name: String
    /// Arguments beyond the name (softmax axis, relu slope).
    public let arguments: [String: Float]
    /// Set when the activation fuses into the kernel before it.
    public let elementwise: ElementwiseActivation?
    /// True for Keras's softmax over the last axis (the plans of ``DenseStack`` run it directly).
    private(set) var isLastAxisSoftmax = false
    private let function: (Tensor) throws -> Tensor

    public init(name: String, arguments: [String: Float] = [:], elementwise: ElementwiseActivation? = nil,
                _ function: @escaping (Tensor) throws -> Tensor) {
        self.name = name
        self.arguments = arguments
        self.elementwise = elementwise
        self.function = function
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try function(x) }

    public static func == (a: ActivationFunction, b: ActivationFunction) -> Bool { a.name == b.name && a.arguments == b.arguments }
    public var description: String { name }

    static func fused(_ name: String, _ kind: ElementwiseActivation) -> ActivationFunction {
        ActivationFunction(name: name, elementwise: kind) { Ops.activation($0, kind) }
    }

    static func pointwise(_ name: String, _ f: @escaping (Float) -> Float,
                          _ df: @escaping (Float, Float, Float) -> Float) -> ActivationFunction {
        ActivationFunction(name: name) { Ops.unary($0, f, df) }
    }

    /// A user activation: any composition of differentiable ops.
    public static func custom(_ name: String, _ f: @escaping (Tensor) throws -> Tensor) -> ActivationFunction {
        ActivationFunction(name: name, f)
    }

    public static let linear = fused("linear", .linear)
    public static let relu = fused("relu", .relu)
    public static let sigmoid = fused("sigmoid", .sigmoid)
    public static let tanh = fused("tanh", .tanh)
    public static let relu6 = fused("relu6", .relu6)
    public static let exponential = fused("exponential", .exponential)
    public static let hardSigmoid = fused("hard_sigmoid", .hardSigmoid)
    public static let softplus = fused("softplus", .softplus)
    public static let selu = fused("selu", .selu)
    public static let elu = elu(alpha: 1)
    public static let leakyReLU = leakyReLU(negativeSlope: 0.2)
    public static let softmax = softmax(axis: -1)
    public static let logSoftmax = ActivationFunction(name: "log_softmax") { try Ops.logSoftmax($0) }
    public static let softsign = pointwise("softsign", { $0 / (1 + Swift.abs($0)) }) { x, _, g in
        let d = 1 + Swift.abs(x); return g / (d * d)
    }
    public static let silu = pointwise("silu", { $0 * sigmoidf($0) }) { x, _, g in
        let s = sigmoidf(x); return g * s * (1 + x * (1 - s))
    }
    public static let gelu = gelu(approximate: false)
    public static let mish = pointwise("mish", { $0 * tanhf(softplusf($0)) }) { x, _, g in
        let t = tanhf(softplusf(x)); return g * (t + x * sigmoidf(x) * (1 - t * t))
    }
    public static let hardSilu = pointwise("hard_silu", { $0 * Swift.min(Swift.max($0 + 3, 0), 6) / 6 }) { x, _, g in
        x < -3 ? 0 : (x > 3 ? g : g * (2 * x + 3) / 6)
    }

    public static func elu(alpha: Float) -> ActivationFunction {
        ActivationFunction(name: "elu", arguments: alpha == 1 ? [:] : ["alpha": alpha], elementwise: .elu(alpha: alpha)) {
            Ops.activation($0, .elu(alpha: alpha))
        }
    }

    public static func leakyReLU(negativeSlope a: Float) -> ActivationFunction {
        ActivationFunction(name: "leaky_relu", arguments: a == 0.2 ? [:] : ["negative_slope": a],
                   elementwise: a >= 0 ? .leakyReLU(negativeSlope: a) : nil) { x in
            Ops.unary(x, { $0 >= 0 ? $0 : a * $0 }) { x, _, g in x >= 0 ? g : a * g }
        }
    }

    public static func softmax(axis: Int) -> ActivationFunction {
        var f = ActivationFunction(name: "softmax", arguments: axis == -1 ? [:] : ["axis": Float(axis)]) { try Ops.softmax($0, axis: axis) }
        f.isLastAxisSoftmax = axis == -1
        return f
    }

    /// Keras `relu(x, negative_slope, max_value, threshold)`.
    public static func relu(negativeSlope: Float = 0, maxValue: Float? = nil, threshold: Float = 0) -> ActivationFunction {
        if negativeSlope == 0 && maxValue == nil && threshold == 0 { return .relu }
        var args: [String: Float] = ["negative_slope": negativeSlope, "threshold": threshold]
        if let maxValue { args["max_value"] = maxValue }
        let hi = maxValue ?? .infinity
        // Keras's ReLU.static_call: the positive part is x above the threshold (clipped to
        // max_value), the negative part slope * relu(threshold - x).
        @inline(__always) func positive(_ v: Float) -> Float {
            let p = threshold != 0 ? (v > threshold ? v : 0) : Swift.max(v, 0)
            return maxValue == nil ? p : Swift.min(Swift.max(p, 0), hi)
        }
        return ActivationFunction(name: "relu", arguments: args) { x in
            Ops.unary(x, { v in positive(v) - negativeSlope * Swift.max(threshold - v, 0) }) { v, _, g in
                let raw: Float = threshold != 0 ? (v > threshold ? v : 0) : Swift.max(v, 0)
                let passes = (threshold != 0 ? v > threshold : v > 0) && (maxValue == nil || (raw > 0 && raw < hi))
                return (passes ? g : 0) + (threshold - v > 0 ? negativeSlope * g : 0)
            }
        }
    }

    /// Keras `gelu(x, approximate)`.
    public static func gelu(approximate: Bool) -> ActivationFunction {
        if approximate {
            let c: Float = 0.7978845608028654
            return ActivationFunction(name: "gelu", arguments: ["approximate": 1]) { x in
                Ops.unary(x, { v in 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v))) }) { v, _, g in
                    let u = c * (v + 0.044715 * v * v * v)
                    let t = tanhf(u)
                    return g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))
                }
            }
        }
        return ActivationFunction(name: "gelu") { x in
            Ops.unary(x, { v in 0.5 * v * (1 + erff(v / Float(2).squareRoot())) }) { v, _, g in
                let cdf = 0.5 * (1 + erff(v / Float(2.0).squareRoot()))
                let pdf = expf(-0.5 * v * v) / Float(2 * Double.pi).squareRoot()
                return g * (cdf + v * pdf)
            }
        }
    }

    /// Every built-in name, with its aliases.
    public static let builtins: [String: ActivationFunction] = [
        "linear": .linear, "relu": .relu, "sigmoid": .sigmoid, "tanh": .tanh, "softmax": .softmax,
        "softplus": .softplus, "softsign": .softsign, "elu": .elu, "selu": .selu,
        "exponential": .exponential, "hard_sigmoid": .hardSigmoid, "gelu": .gelu,
        "silu": .silu, "swish": .silu, "leaky_relu": .leakyReLU, "relu6": .relu6,
        "log_softmax": .logSoftmax, "mish": .mish, "hard_silu": .hardSilu, "hard_swish": .hardSilu,
    ].merging(keras3Builtins) { a, _ in a }

    /// The activation with a Keras name; `nil`/`"linear"`/`"None"` is linear.
    public static func named(_ name: String?) throws -> ActivationFunction {
        guard let name, name != "None", !name.isEmpty else { return .linear }
        if case .activation(let a)? = ObjectRegistry.lookup(.activation, name) { return a }
        throw KerasError.unknownName("Unknown activation '\(name)'. Known: \(builtins.keys.sorted().joined(separator: ", ")); register custom ones with registerKerasSerializable(name: \"\(name)\", .activation(...)) or a CustomObjectScope")
    }

    /// The Keras config value: the name, or a serialized object for parameterised ones.
    public var config: JSON { .string(name) }
}
