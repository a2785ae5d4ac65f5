/// MultiHeadAttention over sequences (`[B, T, d]`, Keras's default attention axes) as ONNX
/// MatMul, Softmax and Transpose operators.
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

    func multiHeadAttention(_ l: MultiHeadAttention, inShapes: [[Int?]], inputs: [String]) throws -> [String] {
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
        if l.useCausalMask {
            // Keras's causal mask: query i sees keys j <= i (aligned at the start).
            var keep: [Float] = []
            for i in 0..<t { for j in 0..<sLen { keep.append(j <= i ? 1 : 0) } }
            let mask = graph.op1("Cast", [graph.constant("\(s)/causal", keep, shape: [t, sLen])], scope: s, [("to", .int(ONNXDataType.bool.rawValue))])
            logits = graph.op1("Where", [mask, logits, graph.scalar("\(s)/masked", -1e9)], scope: s)
        }
        let scores = graph.op1("Softmax", [logits], scope: s, [("axis", .int(-1))])
        let mixed = graph.transpose(graph.op1("MatMul", [scores, v], scope: s), [0, 2, 1, 3], scope: s)
        let joined = graph.op1("Reshape", [mixed, graph.int64s("\(s)/shape", [0, t, h * vd])], scope: s)
        let output = try projection(outputDense, joined, rows: h * vd, layer: l)
        return l.returnAttentionScores ? [output, scores] : [output]
    }
}
