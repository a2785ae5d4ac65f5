/// Keras's built-in activations as ONNX operators.
extension ONNXLayerConverter {
    /// `f(x)` for a built-in activation; a custom one is refused, naming the layer.
    func activation(_ f: ActivationFunction, _ x: String, layer: Layer) throws -> String {
        let s = layer.name
        let a = f.arguments
        func op(_ type: String, _ ins: [String], _ attributes: [(String, ONNXAttributeValue)] = []) -> String {
            graph.op1(type, ins, scope: s, attributes)
        }
        func c(_ v: Float) -> String { graph.scalar("\(s)/\(f.name)_c", v) }
        // An axis argument (held as a Float) as an integer; anything else is refused.
        func axis() throws -> Int {
            guard let v = Int(exactly: a["axis"] ?? -1) else { throw unsupported(layer, "its activation's axis \(a["axis"] ?? -1) is not an integer") }
            return v
        }
        switch f.name {
        case "linear": return x
        case "relu":
            guard !a.isEmpty else { return op("Relu", [x]) }
            return relu(x, negativeSlope: a["negative_slope"] ?? 0, maxValue: a["max_value"], threshold: a["threshold"] ?? 0, scope: s)
        case "sigmoid": return op("Sigmoid", [x])
        case "tanh": return op("Tanh", [x])
        case "relu6": return graph.clip(x, min: 0, max: 6, scope: s)
        case "exponential": return op("Exp", [x])
        case "hard_sigmoid": return op("HardSigmoid", [x], [("alpha", .float(1.0 / 6)), ("beta", .float(0.5))])
        case "softplus": return op("Softplus", [x])
        case "selu": return op("Selu", [x], [("alpha", .float(1.6732632423543772)), ("gamma", .float(1.0507009873554805))])
        case "elu": return op("Elu", [x], [("alpha", .float(a["alpha"] ?? 1))])
        case "leaky_relu": return op("LeakyRelu", [x], [("alpha", .float(a["negative_slope"] ?? 0.2))])
        case "softmax": return op("Softmax", [x], [("axis", .int(try axis()))])
        case "log_softmax": return op("LogSoftmax", [x], [("axis", .int(try axis()))])
        case "softsign": return op("Softsign", [x])
        case "silu", "swish": return op("Mul", [x, op("Sigmoid", [x])])
        case "gelu":
            if a["approximate"] != nil {
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))
                let cube = op("Mul", [op("Mul", [x, x]), x])
                let inner = op("Mul", [op("Add", [x, op("Mul", [cube, c(0.044715)])]), c(0.7978845608028654)])
                return op("Mul", [op("Mul", [x, c(0.5)]), op("Add", [op("Tanh", [inner]), c(1)])])
            }
            let erf = op("Erf", [op("Div", [x, c(Float(2).squareRoot())])])
            return op("Mul", [op("Mul", [x, c(0.5)]), op("Add", [erf, c(1)])])
        case "mish": return op("Mul", [x, op("Tanh", [op("Softplus", [x])])])
        case "hard_silu", "hard_swish":
            return op("Mul", [x, op("HardSigmoid", [x], [("alpha", .float(1.0 / 6)), ("beta", .float(0.5))])])
        case "celu": return op("Celu", [x], [("alpha", .float(a["alpha"] ?? 1))])
        case "hard_shrink": return op("Shrink", [x], [("lambd", .float(a["threshold"] ?? 0.5)), ("bias", .float(0))])
        case "soft_shrink":
            let t = a["threshold"] ?? 0.5
            return op("Shrink", [x], [("lambd", .float(t)), ("bias", .float(t))])
        case "squareplus":
            let root = op("Sqrt", [op("Add", [op("Mul", [x, x]), c(a["b"] ?? 4)])])
            return op("Div", [op("Add", [x, root]), c(2)])
        case "hard_tanh": return graph.clip(x, min: -1, max: 1, scope: s)
        case "log_sigmoid": return op("Neg", [op("Softplus", [op("Neg", [x])])])
        case "sparse_plus":
            let quadratic = op("Div", [op("Mul", [op("Add", [x, c(1)]), op("Add", [x, c(1)])]), c(4)])
            let upper = op("Where", [op("GreaterOrEqual", [x, c(1)]), x, quadratic])
            return op("Where", [op("LessOrEqual", [x, c(-1)]), c(0), upper])
        case "sparse_sigmoid": return op("HardSigmoid", [x], [("alpha", .float(0.5)), ("beta", .float(0.5))])
        case "tanh_shrink": return op("Sub", [x, op("Tanh", [x])])
        case "threshold":
            guard let t = a["threshold"], let d = a["default_value"] else { break }
            return op("Where", [op("Greater", [x, c(t)]), x, c(d)])
        case "sparsemax": return sparsemax(x, axis: try axis(), scope: s)
        case "glu":
            let halves = graph.op("Split", [x], scope: s, outputs: 2, [("axis", .int(try axis()))] + (graph.opset >= 18 ? [("num_outputs", .int(2))] : []))
            return op("Mul", [halves[0], op("Sigmoid", [halves[1]])])
        default: break
        }
        throw unsupported(layer, "its activation '\(f.name)' has no ONNX form here")
    }

    /// Keras's `relu(x, negative_slope, max_value, threshold)`:
    /// `clip(x if x > threshold else 0, 0, max_value) - negative_slope * relu(threshold - x)`.
    func relu(_ x: String, negativeSlope: Float, maxValue: Float?, threshold: Float, scope s: String) -> String {
        func op(_ type: String, _ ins: [String]) -> String { graph.op1(type, ins, scope: s) }
        func c(_ v: Float) -> String { graph.scalar("\(s)/relu_c", v) }
        var positive = threshold != 0 ? op("Where", [op("Greater", [x, c(threshold)]), x, c(0)]) : op("Relu", [x])
        if let maxValue { positive = graph.clip(positive, min: 0, max: maxValue, scope: s) }
        guard negativeSlope != 0 else { return positive }
        let negative = op("Mul", [op("Relu", [op("Sub", [c(threshold), x])]), c(negativeSlope)])
        return op("Sub", [positive, negative])
    }

    /// Keras's `sparsemax(x, axis)` as it computes it: with `z` sorted descending, `c` its running
    /// sum and `r` the positions from 1, the support is `z - (c - 1) / r > 0`, and
    /// `tau = (sum of c over the support - 1) / its size`; the result is `max(x - tau, 0)`.
    func sparsemax(_ x: String, axis: Int, scope s: String) -> String {
        func op(_ type: String, _ ins: [String], _ attributes: [(String, ONNXAttributeValue)] = []) -> String {
            graph.op1(type, ins, scope: s, attributes)
        }
        func c(_ v: Float) -> String { graph.scalar("\(s)/sparsemax_c", v) }
        let sorted = graph.op("TopK", [x, graph.axisSize(x, axis: axis, scope: s)], scope: s, outputs: 2, [("axis", .int(axis)), ("largest", .int(1)), ("sorted", .int(1))])[0]
        let along = graph.int64s("\(s)/axis", [axis], shape: [])
        let running = op("CumSum", [sorted, along])
        let positions = op("CumSum", [op("Pow", [sorted, c(0)]), along])
        let support = op("Greater", [op("Sub", [sorted, op("Div", [op("Sub", [running, c(1)]), positions])]), c(0)])
        let count = graph.reduce("ReduceSum", graph.cast(support, to: .float, scope: s), axes: [axis], keepdims: true, scope: s)
        let total = graph.reduce("ReduceSum", op("Where", [support, running, c(0)]), axes: [axis], keepdims: true, scope: s)
        let tau = op("Div", [op("Sub", [total, c(1)]), count])
        return op("Relu", [op("Sub", [x, tau])])
    }
}
