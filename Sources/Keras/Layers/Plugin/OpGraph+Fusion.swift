extension OpGraph {
    /// The peephole pass run when a trace ends: a layer written with `keras.ops` as
    /// `activation(x @ w + b)` traces into `matmul`, `add` and an activation, three ops with
    /// three backward closures and two intermediate tensors. Each such chain becomes one
    /// ``Ops/dense(_:kernel:bias:activation:)`` node, the fused kernel and VJP of the built-in
    /// `Dense`: `add(matmul(x, w), b)` (either order), `act(matmul(x, w))` and `act(add(…))`
    /// with `act` an ``ElementwiseActivation``.
    ///
    /// A node is folded only when nothing else reads it (no other op, output or new state), `w`
    /// is a matrix `[k, n]` of known size, `x` has rank ≥ 2 and last dimension `k`, and `b` has
    /// shape `[n]` exactly (no other broadcast). The folded nodes stay in ``sources`` but no
    /// plan reaches them. The numbers are those of the unfused ops up to float rounding (the
    /// bias is summed into the product inside the GEMM, and its gradient by a column sum).
    func fuseDense() {
        var uses = [Int](repeating: 0, count: sources.count)
        for case .op(_, let ids) in sources { for j in ids { uses[j] += 1 } }
        for end in (outputs + stateOutputs.joined()).compactMap({ $0 }) + lossOutputs.joined() + metricNodes(0) + metricNodes(1) { uses[end] += 1 }
        for i in sources.indices {
            guard case .op(let op, let ids) = sources[i], let role = op.role else { continue }
            switch role {
            case .add where ids.count == 2:
                for (m, b) in [(ids[0], ids[1]), (ids[1], ids[0])] {
                    guard let (x, w) = matmulOperands(m, uses), shapes[b] == [shapes[w][1]] else { continue }
                    sources[i] = .op(OpGraphOp(fusedDense: .linear, bias: true), [x, w, b])
                    uses[m] -= 1
                    break
                }
            case .activation(let kind) where ids.count == 1:
                let p = ids[0]
                guard uses[p] == 1, case .op(let inner, let args) = sources[p] else { continue }
                if case .dense(.linear, bias: let bias)? = inner.role {
                    sources[i] = .op(OpGraphOp(fusedDense: kind, bias: bias), args)
                    uses[p] -= 1
                } else if let (x, w) = matmulOperands(p, uses) {
                    sources[i] = .op(OpGraphOp(fusedDense: kind, bias: false), [x, w])
                    uses[p] -= 1
                }
            default:
                continue
            }
        }
    }

    /// A traced layer that is a Dense: `activation(input · weight[kernel] (+ weight[bias]))`.
    struct DenseForm: Equatable {
        let kernel: Int
        let bias: Int?
        let activation: ElementwiseActivation
    }

    /// The graph as one Dense when, after ``fuseDense()``, both modes return the same fused
    /// dense node over the layer's matrix input and two of its weights (no states): such a
    /// layer trains in the allocation-free step plan of a Dense stack (``DenseStack``).
    func findDenseForm() -> DenseForm? {
        let ends = outputs.compactMap { $0 }
        guard stateWidths.isEmpty, inputShapes.count == 1, inputShape.count == 2, let out = ends.first, ends.allSatisfy({ $0 == out }),
              case .op(let op, let ids) = sources[out], case .dense(let activation, let hasBias)? = op.role,
              ids.count == (hasBias ? 3 : 2), case .input(0) = sources[ids[0]], case .weight(let kernel) = sources[ids[1]] else { return nil }
        guard hasBias else { return DenseForm(kernel: kernel, bias: nil, activation: activation) }
        guard case .weight(let bias) = sources[ids[2]] else { return nil }
        return DenseForm(kernel: kernel, bias: bias, activation: activation)
    }

    /// `(x, w)` when node `m` is `matmul(x, w)` that only one op reads and that
    /// ``Ops/dense(_:kernel:bias:activation:)`` computes the same way (w a known `[k, n]`, x of
    /// rank ≥ 2 ending in k).
    private func matmulOperands(_ m: Int, _ uses: [Int]) -> (Int, Int)? {
        guard uses[m] == 1, case .op(let op, let ids) = sources[m], op.role == .matmul, ids.count == 2 else { return nil }
        let xs = shapes[ids[0]], ws = shapes[ids[1]]
        guard xs.count >= 2, ws.count == 2, ws.allSatisfy({ $0 >= 0 }), xs.last == ws[0] else { return nil }
        return (ids[0], ids[1])
    }
}
