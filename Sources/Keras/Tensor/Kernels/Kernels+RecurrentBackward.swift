extension RecurrentSequence {
    /// Gradients of x `(T, B, F)`, kernel, recurrent kernel and bias (the bias's shape) from the
    /// upstream gradients of the outputs `(T, B, u)`, the last state `(B, u)` and, for LSTM,
    /// the last cell `(B, u)`; also those of the initial state and cell (`(B, u)`). Every buffer
    /// is new (the op's backward); a step plan calls
    /// ``backward(outputs:lastState:lastCell:_:kernel:recurrent:bias:inputs:)`` on kept ones.
    func backward(outputs dOut: Tensor, lastState dLast: Tensor, lastCell dLastCell: Tensor?,
                  biasShape: [Int]?) -> (x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor?, state: Tensor, cell: Tensor) {
        let buffers = RecurrentGradientBuffers(self)
        let dx = Tensor.uninitialized([steps, batch, features])
        let dW = Tensor.uninitialized(kernel.shape), dU = Tensor.uninitialized(recurrent.shape)
        let db = biasShape.map { Tensor.uninitialized($0) }
        backward(outputs: dOut.data, lastState: dLast.data, lastCell: dLastCell?.data, buffers, kernel: dW.data,
                 recurrent: dU.data, bias: db?.data, inputs: dx.data)
        withExtendedLifetime((dOut, dLast, dLastCell)) {}
        return (dx, dW, dU, db, buffers.dh, buffers.dc)
    }

    /// The backward pass through time on `buffers` (made for this sequence): from the upstream
    /// gradients of the outputs `(T, B, u)`, the last state and (LSTM) the last cell `(B, u)`,
    /// the gradients of the kernel, recurrent kernel and bias (nil exactly when the sequence has
    /// none) into `kernel`, `recurrent`, `bias`, and of x `(T, B, F)` (the rows of `x` with a
    /// packing) into `inputs` when given;
    /// those of the initial state and cell are left in `buffers.dh`, `buffers.dc`.
    func backward(outputs dOut: UnsafePointer<Float>, lastState: UnsafePointer<Float>, lastCell: UnsafePointer<Float>?,
                  _ buffers: RecurrentGradientBuffers, kernel dW: UnsafeMutablePointer<Float>,
                  recurrent dU: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?,
                  inputs dx: UnsafeMutablePointer<Float>?) {
        let g = width, u = units, rows = packedRows, bu = batch * units
        let dXW = buffers.dXW.data, dHU = buffers.dHU.data, dh = buffers.dh.data, dc = buffers.dc.data
        dh.update(from: lastState, count: bu)
        if let lastCell { dc.update(from: lastCell, count: bu) } else { dc.update(repeating: 0, count: bu) }
        // dh_prev = dZ·Uᵀ per step, as a plain product with Uᵀ made once (``stepProduct``).
        if let recurrentT = buffers.recurrentT {
            let t = recurrentT.data, r = recurrent.data
            for i in 0..<u { for j in 0..<g { t[j * u + i] = r[i * g + j] } }
        }
        /// The fan-out's context: what every slice of the batch reads (nothing is allocated).
        struct Pass {
            let sequence: RecurrentSequence, buffers: RecurrentGradientBuffers, dOut: UnsafePointer<Float>
        }
        Parallel.withSingleThreadedBLAS {
            withUnsafePointer(to: Pass(sequence: self, buffers: buffers, dOut: dOut)) { pass in
                Parallel.forEachPart(batch, parts: parts, context: pass) { context, _, rows in
                    let pass = context.assumingMemoryBound(to: Pass.self).pointee
                    pass.sequence.backwardSteps(rows: rows, dOut: pass.dOut, pass.buffers)
                }
            }
        }
        // The input gradient and the weight gradients, each one GEMM over all steps (one for all
        // three weights where the gate gradients are shared).
        if let dx { Kernels.gemm(dXW, transA: false, kernel.data, transB: true, dx, m: rows, n: features, k: g) }
        if let xh = buffers.xh, let all = buffers.all {
            sharedWeightGradients(dXW, xh: xh, all: all, kernel: dW, recurrent: dU, bias: db)
            return
        }
        Kernels.gemm(x.data, transA: true, dXW, transB: false, dW, m: features, n: g, k: rows)
        Kernels.gemm(hs.data, transA: true, dHU, transB: false, dU, m: u, n: g, k: rows)
        if let dUh = buffers.dUh {
            Kernels.gemm(extra.data, transA: true, dHU, transB: false, dUh.data, m: u, n: g, k: rows)
            for r in 0..<u { (dU + r * g + 2 * u).update(from: dUh.data + r * g + 2 * u, count: u) }
        }
        guard let db else { return }
        Kernels.columnSums(dXW, rows: rows, cols: g, into: db)
        if recurrentBias != nil { Kernels.columnSums(dHU, rows: rows, cols: g, into: db + g) }
    }

    /// The kernel, recurrent kernel and bias gradients of a cell whose input and recurrent
    /// products share the gate gradients `dZ` `(T·B, G·u)` (LSTM, SimpleRNN): one GEMM
    /// `[x | h_prev | 1]ᵀ · dZ` over all steps (`xh` and the product `all`), whose rows are the
    /// three gradients.
    private func sharedWeightGradients(_ dZ: UnsafePointer<Float>, xh: Tensor, all: Tensor, kernel dW: UnsafeMutablePointer<Float>,
                                       recurrent dU: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?) {
        let g = width, u = units, f = features, rows = packedRows
        let cols = f + u + (db == nil ? 0 : 1)
        let xhd = xh.data, xs = x.data, h = hs.data, a = all.data
        for t in 0..<steps {
            let (offset, count) = stepRows(t)
            for i in 0..<count {
                let r = offset + i, row = xhd + r * cols
                row.update(from: xs + r * f, count: f)
                (row + f).update(from: h + (t * batch + i) * u, count: u)
                if cols > f + u { row[f + u] = 1 }
            }
        }
        Kernels.gemm(xhd, transA: true, dZ, transB: false, a, m: cols, n: g, k: rows)
        dW.update(from: a, count: f * g)
        dU.update(from: a + f * g, count: u * g)
        db?.update(from: a + (f + u) * g, count: g)
    }

    /// Backward step `t` for rows `part` of the batch: the gate gradients into `dXW` (and `dHU`),
    /// then `dh`, `dc` (`(B, u)`, the running state gradients) become those of step `t - 1`.
    /// Every step, last first, of rows `rows` of the batch.
    private func backwardSteps(rows: Range<Int>, dOut: UnsafePointer<Float>, _ buffers: RecurrentGradientBuffers) {
        for t in stride(from: steps - 1, through: 0, by: -1) {
            backwardStep(t, rows: rows, dOut: dOut, dh: buffers.dh.data, dc: buffers.dc.data, dXW: buffers.dXW.data,
                         dHU: buffers.dHU.data, work: buffers.work, uzr: uzr, uh: uh, recurrentT: buffers.recurrentT)
        }
    }

    private func backwardStep(_ t: Int, rows part: Range<Int>, dOut: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>,
                              dc: UnsafeMutablePointer<Float>, dXW: UnsafeMutablePointer<Float>,
                              dHU: UnsafeMutablePointer<Float>, work: BackwardBuffers, uzr: Tensor?, uh: Tensor?,
                              recurrentT: Tensor?) {
        let (offset, count) = stepRows(t)
        let g = width, u = units, bu = batch * units, lo = part.lowerBound
        let shared = kind == .lstm || kind == .simple
        let dht = dh + lo * u, dct = dc + lo * u, tmp = work.tmp + lo * u
        let up = dOut + t * bu + lo * u
        for i in 0..<(part.count * u) { dht[i] += up[i] }
        // Rows past the step's count carry their state: its gradients pass straight through.
        let n = Swift.min(part.upperBound, Swift.max(lo, count)) - lo, nu = n * u
        if n == 0 { return }
        // Masked rows: no gate gradient, the state's gradient passes straight through.
        let keepH = work.keepH + lo * u, keepC = work.keepC + lo * u
        if mask != nil {
            keepH.update(from: dht, count: nu)
            keepC.update(from: dct, count: nu)
        }
        let a = gates.data + (offset + lo) * g, dx = dXW + (offset + lo) * g, dr = dHU + (offset + lo) * g
        let hPrev = hs.data + t * bu + lo * u
        switch kind {
        case .simple:
            act.backward(output: hs.data + (t + 1) * bu + lo * u, upstream: dht, into: dx, count: nu)
        case .lstm:
            let ac = extra.data + t * bu + lo * u, cPrev = cs.data + t * bu + lo * u
            if defaultLSTM {
                if native {
                    Kernels.nativeLSTMBackward(a, ac: ac, cPrev: cPrev, dh: dht, dc: dct, dz: dx, rows: n, units: u)
                } else {
                    Kernels.lstmBackward(a, ac: ac, cPrev: cPrev, dh: dht, dc: dct, dz: dx, rows: n, units: u)
                }
                break
            }
            // dc += dh · o · act'(c)
            for b in 0..<n { for j in 0..<u { tmp[b * u + j] = dht[b * u + j] * a[b * g + 3 * u + j] } }
            act.backward(output: ac, upstream: tmp, into: tmp, count: nu)
            for b in 0..<n {
                for j in 0..<u {
                    let k = b * u + j, row = b * g
                    let dcv = dct[k] + tmp[k]
                    dx[row + j] = dcv * a[row + 2 * u + j]            // di
                    dx[row + u + j] = dcv * cPrev[k]                  // df
                    dx[row + 2 * u + j] = dcv * a[row + j]            // dg
                    dx[row + 3 * u + j] = dht[k] * ac[k]              // do
                    dct[k] = dcv * a[row + u + j]                     // dc_prev
                }
                recAct.backward(output: a + b * g, upstream: dx + b * g, into: dx + b * g, count: 2 * u)
                act.backward(output: a + b * g + 2 * u, upstream: dx + b * g + 2 * u, into: dx + b * g + 2 * u, count: u)
                recAct.backward(output: a + b * g + 3 * u, upstream: dx + b * g + 3 * u, into: dx + b * g + 3 * u, count: u)
            }
        case .gru(let resetAfter):
            let e = extra.data + t * bu + lo * u
            if defaultGRU {
                if native {
                    Kernels.nativeGRUBackward(a, e: e, hPrev: hPrev, dh: dht, dx: dx, dr: dr, rows: n, units: u)
                } else {
                    Kernels.gruBackward(a, e: e, hPrev: hPrev, dh: dht, dx: dx, dr: dr, rows: n, units: u)
                }
                break
            }
            for b in 0..<n {
                let row = b * g
                for j in 0..<u {
                    let k = b * u + j, z = a[row + j], hh = a[row + 2 * u + j]
                    dx[row + j] = dht[k] * (hPrev[k] - hh)
                    dx[row + 2 * u + j] = dht[k] * (1 - z)
                }
                recAct.backward(output: a + row, upstream: dx + row, into: dx + row, count: u)
                act.backward(output: a + row + 2 * u, upstream: dx + row + 2 * u, into: dx + row + 2 * u, count: u)
                if resetAfter {
                    for j in 0..<u {
                        let dpre = dx[row + 2 * u + j]
                        dx[row + u + j] = dpre * e[b * u + j]
                        dr[row + 2 * u + j] = dpre * a[row + u + j]
                    }
                    recAct.backward(output: a + row + u, upstream: dx + row + u, into: dx + row + u, count: u)
                    for j in 0..<(2 * u) { dr[row + j] = dx[row + j] }
                }
            }
            if !resetAfter, let uh {
                // tmp = dpre_h · Uhᵀ: the gradient of r ⊙ h_prev.
                let dpreH = work.dpreH + lo * u
                for b in 0..<n { (dr + b * g).update(from: dx + b * g, count: g) }
                for b in 0..<n { (dpreH + b * u).update(from: dx + b * g + 2 * u, count: u) }
                Kernels.stepGemm(dpreH, transA: false, uh.data, transB: true, tmp, m: n, n: u, k: u)
                for b in 0..<n {
                    for j in 0..<u { dx[b * g + u + j] = tmp[b * u + j] * hPrev[b * u + j] }
                    recAct.backward(output: a + b * g + u, upstream: dx + b * g + u, into: dx + b * g + u, count: u)
                    for j in 0..<u { dr[b * g + u + j] = dx[b * g + u + j] }
                }
            }
        }
        for b in 0..<n where masked(t, lo + b) {
            (dx + b * g).update(repeating: 0, count: g)
            if !shared { (dr + b * g).update(repeating: 0, count: g) }
        }
        // dh_prev = dHU · Uᵀ (+ the direct paths of GRU).
        let direct = work.direct + lo * u
        if case .gru = kind {
            for b in 0..<n { for j in 0..<u { direct[b * u + j] = dht[b * u + j] * a[b * g + j] } }
        }
        if kind == .gru(resetAfter: false), let uzr {
            let dzr = work.dzr + lo * 2 * u
            for b in 0..<n { (dzr + b * 2 * u).update(from: dr + b * g, count: 2 * u) }
            Kernels.stepGemm(dzr, transA: false, uzr.data, transB: true, dht, m: n, n: u, k: 2 * u)
            for b in 0..<n { for j in 0..<u { dht[b * u + j] += tmp[b * u + j] * a[b * g + u + j] } }
        } else if let recurrentT {
            stepProduct(dr, recurrentT.data, dht, m: n, n: u, k: g, accumulate: false)
        } else {
            Kernels.stepGemm(dr, transA: false, recurrent.data, transB: true, dht, m: n, n: u, k: g)
        }
        if case .gru = kind { for i in 0..<nu { dht[i] += direct[i] } }
        for b in 0..<n where masked(t, lo + b) {
            (dht + b * u).update(from: keepH + b * u, count: u)
            (dct + b * u).update(from: keepC + b * u, count: u)
        }
    }
}

/// The buffers of a backward pass through time of one sequence's shape: the gate gradients of
/// the input products `dXW` and of the recurrent products `dHU` `(T·B, G·u)` (one buffer where
/// they are shared: LSTM, SimpleRNN), the running state and cell gradients `dh`, `dc` `(B, u)`,
/// the per-step work, the transposed recurrent kernel `(G·u, u)` where the step products use it,
/// `[x | h_prev | 1]` `(T·B, F + u (+ 1))` and its product with the gate gradients where the
/// gradients are shared, and for GRU with reset_before the h columns' gradient `(u, G·u)`.
final class RecurrentGradientBuffers {
    let dXW: Tensor, dHU: Tensor, dh: Tensor, dc: Tensor
    let work: BackwardBuffers
    let recurrentT: Tensor?, xh: Tensor?, all: Tensor?, dUh: Tensor?

    init(_ seq: RecurrentSequence) {
        let g = seq.width, u = seq.units, rows = seq.steps * seq.batch
        let shared = seq.kind == .lstm || seq.kind == .simple, resetBefore = seq.kind == .gru(resetAfter: false)
        dXW = Tensor.uninitialized([rows, g])
        dHU = shared ? dXW : Tensor.uninitialized([rows, g])
        dh = Tensor.uninitialized([seq.batch, u])
        dc = Tensor.uninitialized([seq.batch, u])
        work = BackwardBuffers(batch: seq.batch, units: u)
        recurrentT = seq.native && u % 8 == 0 && !resetBefore ? Tensor.uninitialized([g, u]) : nil
        let cols = seq.features + u + (seq.bias == nil ? 0 : 1)
        xh = shared ? Tensor.uninitialized([rows, cols]) : nil
        all = shared ? Tensor.uninitialized([cols, g]) : nil
        dUh = resetBefore ? Tensor.uninitialized([u, g]) : nil
    }
}

/// Work buffers of a backward pass through time, `(B, u)` each (`dzr` `(B, 2u)`): the rows of a
/// slice of the batch are its own.
final class BackwardBuffers {
    let storage: Tensor
    let tmp, direct, dpreH, keepH, keepC, dzr: UnsafeMutablePointer<Float>

    init(batch: Int, units: Int) {
        let bu = batch * units
        storage = Tensor.uninitialized([7 * bu])
        let p = storage.data
        (tmp, direct, dpreH, keepH, keepC, dzr) = (p, p + bu, p + 2 * bu, p + 3 * bu, p + 4 * bu, p + 5 * bu)
    }
}
