/// A layer traced into the library's op graph (a Python or C layer whose `call` is written with
/// `keras.ops`, such as Python's `Lambda(lambda z: ops.tanh(z) * 2)`): each op of its inference
/// run as ONNX operators, its weights and traced constants as initializers. The elementwise ops,
/// comparisons, `matmul`, the activations, reductions over given axes, `reshape`, `transpose`,
/// `expand_dims`, `cumsum`, `sort`, `roll`, `kron` and (opset 14 on) `triu`/`tril` have a form
/// here; any other op is refused, naming it.
extension ONNXLayerConverter {
    func tracedLayer(_ l: CallbackLayer, inputs: [String]) throws -> [String] {
        let s = l.name
        guard let g = l.graph, let (nodes, output, extra) = g.inferencePlan else {
            throw unsupported(l, "a layer written in Python or C has an ONNX form only when its call is traced into the library's op graph (written with keras.ops)")
        }
        guard extra == 0, g.stateWidths.isEmpty, g.base == nil, !g.readsMasks, g.writes.joined().isEmpty else {
            throw unsupported(l, "only a traced call of one output that reads no masks, states or base layer and writes no weights has an ONNX form here")
        }
        var values: [Int: String] = [:]
        for i in nodes where i < g.sources.count {
            func argument(_ j: Int) throws -> String {
                guard let v = values[j] else { throw unsupported(l, "its traced node \(i) reads node \(j) before it is computed") }
                return v
            }
            switch g.sources[i] {
            case .input(let k):
                guard k < inputs.count else { throw unsupported(l, "its trace reads input \(k) of \(inputs.count)") }
                values[i] = graph.float(inputs[k], scope: s)
            case .weight(let w):
                guard w < l.variables.count else { throw unsupported(l, "its trace reads weight \(w) of \(l.variables.count)") }
                values[i] = graph.constant("\(s)/\(l.variables[w].name)", l.variables[w].storedValue)
            case .constant(let t):
                values[i] = graph.constant("\(s)/constant", t)
            case .mask, .state:
                throw unsupported(l, "its trace reads masks or states")
            case .op(let op, let ids):
                values[i] = try tracedOp(op, try ids.map(argument), ranks: ids.map { $0 < g.shapes.count ? g.shapes[$0].count : 0 }, layer: l)
            }
        }
        guard let y = values[output] else { throw unsupported(l, "its traced output is not computed") }
        return [y]
    }

    /// One traced op over its arguments' values (of these ranks).
    private func tracedOp(_ op: OpGraphOp, _ xs: [String], ranks: [Int], layer l: Layer) throws -> String {
        let s = l.name
        func node(_ type: String, _ ins: [String]? = nil) -> String { graph.op1(type, ins ?? xs, scope: s) }
        func truth(_ type: String, _ ins: [String]? = nil) -> String { graph.cast(node(type, ins), to: .float, scope: s) }
        func one() throws -> String {
            guard let x = xs.first, xs.count == 1 else { throw unsupported(l, "its traced op '\(op.name)' takes \(xs.count) inputs") }
            return x
        }
        if let f = op.activationFunction { return try activation(f, try one(), layer: l) }
        if case .dense(let e, let bias)? = op.role {
            guard xs.count == (bias ? 3 : 2) else { throw unsupported(l, "its fused dense op takes \(xs.count) inputs") }
            var y = node("MatMul", [xs[0], xs[1]])
            if bias { y = node("Add", [y, xs[2]]) }
            return try activation(activationFunction(e), y, layer: l)
        }
        if xs.count == 2 {
            let binary = ["add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "true_divide": "Div",
                          "maximum": "Max", "minimum": "Min", "matmul": "MatMul", "dot": "MatMul", "power": "Pow"]
            if let type = binary[op.name] { return node(type) }
            switch op.name {
            case "kron": return kron(xs[0], xs[1], ranks: ranks, scope: s)
            case "greater": return truth("Greater")
            case "less": return truth("Less")
            case "equal": return truth("Equal")
            case "greater_equal": return truth("GreaterOrEqual")
            case "less_equal": return truth("LessOrEqual")
            case "not_equal": return truth("Not", [node("Equal")])
            default: break
            }
        }
        let unary = ["negative": "Neg", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "absolute": "Abs",
                     "sign": "Sign", "sin": "Sin", "cos": "Cos", "reciprocal": "Reciprocal", "floor": "Floor", "ceil": "Ceil"]
        if let type = unary[op.name] { return node(type, [try one()]) }
        let a = op.attributes
        switch op.name {
        case "stop_gradient", "cast", "convert_to_tensor", "identity":
            return try one()
        case "square":
            let x = try one()
            return node("Mul", [x, x])
        case "rsqrt": return node("Reciprocal", [node("Sqrt", [try one()])])
        case "log1p": return node("Log", [node("Add", [try one(), graph.scalar("\(s)/one", 1)])])
        case "expm1": return node("Sub", [node("Exp", [try one()]), graph.scalar("\(s)/one", 1)])
        case "power":
            guard let a else { break }
            return node("Pow", [try one(), graph.scalar("\(s)/exponent", Float(try a.double("exponent")))])
        case "clip":
            guard let a else { break }
            return graph.clip(try one(), min: Float(try a.double("x_min")), max: Float(try a.double("x_max")), scope: s)
        case "sum", "mean", "max", "min", "amax", "amin":
            guard let a else { break }
            guard let axes = try a.axes("axis") else { throw unsupported(l, "its traced op '\(op.name)' reduces over every axis, the batch's too") }
            let type = ["sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "amax": "ReduceMax"][op.name] ?? "ReduceMin"
            return graph.reduce(type, try one(), axes: axes, keepdims: try a.bool("keepdims", default: false), scope: s)
        case "reshape":
            // (Not the sizes read from other tensors' shapes as the graph runs: `read_sizes`.)
            guard let a, a.json["read_sizes"].map({ $0.isNull }) ?? true, let shape = try a.axes("newshape") else { break }
            return node("Reshape", [try one(), graph.int64s("\(s)/shape", shape)])
        case "transpose":
            guard let a else { break }
            let perm = try a.axes("axes")
            return graph.op1("Transpose", [try one()], scope: s, perm.map { [("perm", .ints($0))] } ?? [])
        case "expand_dims":
            guard let a else { break }
            return graph.unsqueeze(try one(), axes: [try a.int("axis", default: 0)], scope: s)
        case "cumsum":
            guard let a else { break }
            guard let axis = try a.optionalInt("axis") else {   // Keras's axis=None: flattened
                let flat = node("Reshape", [try one(), graph.int64s("\(s)/flat", [-1])])
                return node("CumSum", [flat, graph.int64s("\(s)/axis", [0], shape: [])])
            }
            return node("CumSum", [try one(), graph.int64s("\(s)/axis", [axis], shape: [])])
        case "sort":   // ascending: TopK of the axis's whole size, smallest first
            guard let a else { break }
            let axis = try a.optionalInt("axis")
            let x = axis == nil ? node("Reshape", [try one(), graph.int64s("\(s)/flat", [-1])]) : try one()
            return graph.op("TopK", [x, graph.axisSize(x, axis: axis ?? 0, scope: s)], scope: s, outputs: 2,
                            [("axis", .int(axis ?? 0)), ("largest", .int(0)), ("sorted", .int(1))])[0]
        case "roll":
            guard let a, let shifts = try a.axes("shift") else { break }
            return roll(try one(), shifts: shifts, axes: try a.axes("axis"), scope: s)
        case "triu", "tril":
            guard let a, graph.opset >= 14 else { break }
            return graph.op1("Trilu", [try one(), graph.int64s("\(s)/k", [try a.int("k", default: 0)], shape: [])], scope: s,
                             [("upper", .int(op.name == "triu" ? 1 : 0))])
        case "softmax", "log_softmax":
            guard let a else { break }
            return graph.op1(op.name == "softmax" ? "Softmax" : "LogSoftmax", [try one()], scope: s,
                             [("axis", .int(try a.int("axis", default: -1)))])
        default: break
        }
        throw unsupported(l, "its traced op '\(op.name)' has no ONNX form here (the export covers the elementwise ops, comparisons, matmul, clip, power, softmax, the activations, reductions over given axes, reshape, transpose, expand_dims, cumsum, sort, roll, kron and from opset 14 triu and tril)")
    }

    /// Keras's `roll`: along each axis the last `shift mod n` entries moved to the front, its size
    /// `n` read as the graph runs (the batch's too); without axes, flattened, rolled, reshaped back.
    private func roll(_ x: String, shifts: [Int], axes: [Int]?, scope s: String) -> String {
        guard let axes else {
            let flat = graph.op1("Reshape", [x, graph.int64s("\(s)/flat", [-1])], scope: s)
            return graph.op1("Reshape", [roll(flat, shifts: shifts, axes: [0], scope: s), graph.op1("Shape", [x], scope: s)], scope: s)
        }
        var y = x
        for (i, axis) in axes.enumerated() {
            let n = graph.axisSize(y, axis: axis, scope: s)
            let shift = graph.int64s("\(s)/shift", [shifts.count == 1 ? shifts[0] : shifts[i]])
            let start = graph.op1("Sub", [n, graph.op1("Mod", [shift, n], scope: s)], scope: s)
            let along = graph.int64s("\(s)/axis", [axis])
            let tail = graph.op1("Slice", [y, start, graph.int64s("\(s)/end", [Int(Int64.max)]), along], scope: s)
            let head = graph.op1("Slice", [y, graph.int64s("\(s)/start", [0]), start, along], scope: s)
            y = graph.op1("Concat", [tail, head], scope: s, [("axis", .int(axis))])
        }
        return y
    }

    /// Keras's `kron(a, b)`: the lower rank padded with leading axes, `a` with a unit axis after
    /// each of its axes times `b` with one before each of its, reshaped to the products of their
    /// sizes (read as the graph runs: the batch's too).
    private func kron(_ a: String, _ b: String, ranks: [Int], scope s: String) -> String {
        let r = ranks.max() ?? 0
        func padded(_ x: String, _ rank: Int) -> String {
            rank < r ? graph.unsqueeze(x, axes: Array(0..<(r - rank)), scope: s) : x
        }
        let pa = padded(a, ranks.first ?? r), pb = padded(b, ranks.last ?? r)
        let wide = graph.unsqueeze(pa, axes: (0..<r).map { 2 * $0 + 1 }, scope: s)
        let tall = graph.unsqueeze(pb, axes: (0..<r).map { 2 * $0 }, scope: s)
        let sizes = graph.op1("Mul", [graph.op1("Shape", [pa], scope: s), graph.op1("Shape", [pb], scope: s)], scope: s)
        return graph.op1("Reshape", [graph.op1("Mul", [wide, tall], scope: s), sizes], scope: s)
    }

    /// The activation a fused dense op applies.
    private func activationFunction(_ e: ElementwiseActivation) -> ActivationFunction {
        switch e {
        case .linear: return .linear
        case .relu: return .relu
        case .sigmoid: return .sigmoid
        case .tanh: return .tanh
        case .relu6: return .relu6
        case .exponential: return .exponential
        case .hardSigmoid: return .hardSigmoid
        case .softplus: return .softplus
        case .selu: return .selu
        case .elu(let alpha): return .elu(alpha: alpha)
        case .leakyReLU(let slope): return .leakyReLU(negativeSlope: slope)
        }
    }
}
