/// MultiHeadAttention over sequences (`[B, T, d]`, Keras's default attention axes), Attention
/// and AdditiveAttention as ONNX MatMul, Softmax and Transpose operators.
extension ONNXLayerConverter {
    /// A projection `x · kernel (+ bias)` with the kernel viewed as a matrix of `rows` rows
    /// (EinsumDense's `abc,cde->abde` and `abcd,cde->abe` on contiguous weights).
    private func projection(_ dense: EinsumDense, _ x: String, rows: Int, layer: Layer) throws -> String {
        let s = "\(layer.name)/\(dense.name)"
        guard let kernel = dense.kernel?.storedValue, rows > 0, kernel.count % rows == 0 else {
            throw unsupported(layer, "its projection '\(dense.name)' is not built")
        }
        var y = graph.op1("MatMul", [x, graph.constant("\(s)/kernel", kernel.scalars, shape: [rows, kernel.count / rows])], scope: s)
        if let bias = dense.bias?.storedValue {
            y = graph.op1("Add", [y, graph.constant("\(s)/bias", bias.scalars, shape: [bias.count])], scope: s)
        }
        return y
    }

    /// The query's, value's and key's masks (`[B, T]`, `[B, S]`) keep the scores of their
    /// positions, with the causal mask, as Keras's `_compute_attention_mask`; masked logits are
    /// -1e9. Keras's fused attention (no dropout, no scores returned) leaves a query position
    /// that keeps no key attending every key uniformly; with scores or dropout (Keras's
    /// `Softmax(mask=...)`) its scores are 0.
    func multiHeadAttention(_ l: MultiHeadAttention, inShapes: [[Int?]], inputs: [String], masks: [String?] = []) throws -> [String] {
        let s = l.name
        guard type(of: l) == MultiHeadAttention.self, l.keyValueHeads == l.numHeads, !l.useGate, l.slidingWindow == nil else {
            throw unsupported(l, "only plain multi-head attention (no grouped heads, gate or sliding window) has an ONNX form here")
        }
        guard inShapes.allSatisfy({ $0.count == 3 }), l.builtAxes == nil || l.builtAxes == [1] else {
            throw unsupported(l, "only inputs of rank 3 attended over their second axis have an ONNX form here")
        }
        guard let queryDense = l.queryDense, let keyDense = l.keyDense, let valueDense = l.valueDense,
              let outputDense = l.outputDense else { throw unsupported(l, "it is not built") }
        guard queryDense.equation == "abc,cde->abde", keyDense.equation == "abc,cde->abde",
              valueDense.equation == "abc,cde->abde", outputDense.equation == "abcd,cde->abe" else {
            throw unsupported(l, "its projections are not those of attention over rank-3 inputs")
        }
        guard inputs.count == 2 || inputs.count == 3, inShapes.count >= 2, let t = inShapes[0][1], let sLen = inShapes[1][1] else {
            throw unsupported(l, "it needs [query, value] or [query, value, key] of known lengths")
        }
        let query = inputs[0], value = inputs[1], key = inputs.count == 3 ? inputs[2] : inputs[1]
        let h = l.numHeads, kd = l.keyDim, vd = l.valueDim
        func heads(_ x: String, width: Int, length: Int) -> String {
            // [B, L, h·d] -> [B, h, L, d]
            let split = graph.op1("Reshape", [x, graph.int64s("\(s)/shape", [0, length, h, width])], scope: s)
            return graph.transpose(split, [0, 2, 1, 3], scope: s)
        }
        func width(_ i: Int) -> Int { inShapes[min(i, inShapes.count - 1)][2] ?? 0 }
        let q = heads(try projection(queryDense, query, rows: width(0), layer: l), width: kd, length: t)
        let k = heads(try projection(keyDense, key, rows: width(inputs.count == 3 ? 2 : 1), layer: l), width: kd, length: sLen)
        let v = heads(try projection(valueDense, value, rows: width(1), layer: l), width: vd, length: sLen)
        let scaled = graph.op1("Mul", [q, graph.scalar("\(s)/scale", 1 / Float(kd).squareRoot())], scope: s)
        var logits = graph.op1("MatMul", [scaled, graph.transpose(k, [0, 1, 3, 2], scope: s)], scope: s)
        // The kept scores, broadcast to [B, heads, T, S].
        var keeps: [String] = []
        for (i, m) in masks.prefix(3).enumerated() {
            guard let m else { continue }
            guard graph.rank(of: m) == 2 else { throw unsupported(l, "only (batch, steps) masks on its inputs have an ONNX form here") }
            keeps.append(graph.unsqueeze(m, axes: i == 0 ? [1, 3] : [1, 2], scope: s))
        }
        if l.useCausalMask { keeps.append(causalMask(t, sLen, scope: s)) }
        let keep = keeps.dropFirst().reduce(keeps.first) { all, m in all.map { graph.op1("And", [$0, m], scope: s) } }
        if let keep { logits = graph.op1("Where", [keep, logits, graph.scalar("\(s)/masked", -1e9)], scope: s) }
        var scores = graph.op1("Softmax", [logits], scope: s, [("axis", .int(-1))])
        if let keep, !masks.allSatisfy({ $0 == nil }), l.returnAttentionScores || l.dropout > 0 {
            scores = graph.op1("Where", [keep, scores, graph.scalar("\(s)/zero", 0)], scope: s)
        }
        let mixed = graph.transpose(graph.op1("MatMul", [scores, v], scope: s), [0, 2, 1, 3], scope: s)
        let joined = graph.op1("Reshape", [mixed, graph.int64s("\(s)/shape", [0, t, h * vd])], scope: s)
        let output = try projection(outputDense, joined, rows: h * vd, layer: l)
        return l.returnAttentionScores ? [output, scores] : [output]
    }

    /// Keras's causal mask `[T, S]` as booleans: query i sees keys j <= i (aligned at the start).
    private func causalMask(_ t: Int, _ sLen: Int, scope s: String) -> String {
        var keep: [Float] = []
        for i in 0..<t { for j in 0..<sLen { keep.append(j <= i ? 1 : 0) } }
        return graph.cast(graph.constant("\(s)/causal", keep, shape: [t, sLen]), to: .bool, scope: s)
    }

    /// Attention (dot or concat scores) and AdditiveAttention: the scores of the query against
    /// the key, masked by the value's mask and the causal triangle (-1e9; a query position that
    /// keeps no value attends them all uniformly, as Keras's), their softmax's mix of the value,
    /// zero at the query's masked positions.
    func attention(_ l: BaseAttention, inShapes: [[Int?]], inputs: [String], masks: [String?]) throws -> [String] {
        let s = l.name
        guard inputs.count == 2 || inputs.count == 3, inShapes.count == inputs.count, inShapes.allSatisfy({ $0.count == 3 }) else {
            throw unsupported(l, "it needs [query, value] or [query, value, key] of rank 3")
        }
        let q = inputs[0], v = inputs[1], k = inputs.count == 3 ? inputs[2] : inputs[1]
        func weight(_ w: Variable?, _ name: String) -> String? { w.map { graph.constant("\(s)/\(name)", $0.storedValue) } }
        // [B, Tq, 1, d] + [B, 1, Tv, d]
        func pairs() -> String { graph.op1("Add", [graph.unsqueeze(q, axes: [2], scope: s), graph.unsqueeze(k, axes: [1], scope: s)], scope: s) }
        var scores: String
        switch l {
        case let a as Attention where a.scoreMode == "dot":
            scores = graph.op1("MatMul", [q, graph.transpose(k, [0, 2, 1], scope: s)], scope: s)
            if let scale = weight(a.scale, "scale") { scores = graph.op1("Mul", [scores, scale], scope: s) }
        case let a as Attention:
            var sum = pairs()
            if let scale = weight(a.scale, "scale") { sum = graph.op1("Mul", [sum, scale], scope: s) }
            scores = graph.reduce("ReduceSum", graph.op1("Tanh", [sum], scope: s), axes: [3], keepdims: false, scope: s)
            if let w = weight(a.concatScoreWeight, "concat_score_weight") { scores = graph.op1("Mul", [scores, w], scope: s) }
        case let a as AdditiveAttention:
            var t = graph.op1("Tanh", [pairs()], scope: s)
            if let scale = weight(a.scale, "scale") { t = graph.op1("Mul", [t, scale], scope: s) }
            scores = graph.reduce("ReduceSum", t, axes: [3], keepdims: false, scope: s)
        default:
            throw unsupported(l)
        }
        var keeps: [String] = []
        for (i, m) in masks.prefix(2).enumerated() {
            guard let m else { continue }
            guard graph.rank(of: m) == 2 else { throw unsupported(l, "only (batch, steps) masks on its inputs have an ONNX form here") }
            if i == 1 { keeps.append(graph.unsqueeze(m, axes: [1], scope: s)) }
        }
        if l.useCausalMask {
            guard let t = inShapes[0][1], let sLen = inShapes[1][1] else { throw unsupported(l, "a causal mask needs known lengths") }
            keeps.append(causalMask(t, sLen, scope: s))
        }
        if let keep = keeps.dropFirst().reduce(keeps.first, { all, m in all.map { graph.op1("And", [$0, m], scope: s) } }) {
            scores = graph.op1("Where", [keep, scores, graph.scalar("\(s)/masked", -1e9)], scope: s)
        }
        let weights = graph.op1("Softmax", [scores], scope: s, [("axis", .int(-1))])
        var output = graph.op1("MatMul", [weights, v], scope: s)
        if let queryMask = masks.first ?? nil {
            let keep = graph.cast(graph.unsqueeze(queryMask, axes: [2], scope: s), to: .float, scope: s)
            output = graph.op1("Mul", [output, keep], scope: s)
        }
        return l.returnAttentionScores ? [output, weights] : [output]
    }
}
