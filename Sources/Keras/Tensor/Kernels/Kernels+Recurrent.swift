/// The cell a fused recurrent sequence runs: its gate count and math.
public enum RecurrentCellKind: Equatable, Sendable {
    /// `h = act(x·W + h·U + b)`. Keras: `SimpleRNNCell`.
    case simple
    /// Gates i, f, c, o. Keras: `LSTMCell`.
    case lstm
    /// Gates z, r, h; `resetAfter` applies the reset gate after the recurrent product (bias
    /// `(2, 3u)`). Keras: `GRUCell`.
    case gru(resetAfter: Bool)

    /// The number of `units`-wide blocks of the kernels.
    var gates: Int {
        switch self {
        case .simple: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }
}

/// A whole recurrent sequence, forward and backward through time: the input projection of all
/// steps as one GEMM, per step the recurrent GEMM and the fused gate math (keeping what backward
/// needs), and backward the weight gradients as one GEMM each over all steps. Masked rows of a
/// step carry state and output through, as Keras does. Data is time-major inside.
final class RecurrentSequence {
    let kind: RecurrentCellKind
    let act: ElementwiseActivation, recAct: ElementwiseActivation
    let steps: Int, batch: Int, features: Int, units: Int
    var width: Int { kind.gates * units }
    /// `(T, B, F)` inputs in processing order (with a ``packing``, its first `R` rows: the rows
    /// each step runs); `(T, B)` mask or nil.
    let x: Tensor, mask: Tensor?
    /// Which rows of each step run (``RecurrentRowPacking``); nil: every row of every step.
    let packing: RecurrentRowPacking?
    /// The rows of `x`, `gates` and the gate gradients in use: `T·B`, or the packing's (the
    /// buffers keep their full size: the buffer pool reuses buffers by exact size).
    let packedRows: Int
    /// The weights; ``bind(kernel:recurrent:bias:)`` points a kept sequence at their current values.
    private(set) var kernel: Tensor, recurrent: Tensor, bias: Tensor?
    /// Input bias `(G·u)` and, for GRU with reset_after, the recurrent bias.
    private(set) var inputBias: UnsafePointer<Float>?, recurrentBias: UnsafePointer<Float>?
    /// `(T+1, B, u)` hidden states, `hs[0]` the initial one; cells for LSTM.
    let hs: Tensor, cs: Tensor
    /// `(T, B, G·u)` (with a packing, its first `R` rows) activated gates; `(T, B, u)` extra: act(c)
    /// (LSTM), the recurrent h part (GRU reset_after) or r ⊙ h_prev (GRU reset_before).
    let gates: Tensor, extra: Tensor
    /// `(B, G·u)`: one step's recurrent products.
    let rec: Tensor
    /// GRU with reset_before: the z and r columns `(u, 2u)` and the h columns `(u, u)` of the
    /// recurrent kernel, taken by each ``forward()`` (its backward uses them too).
    let uzr: Tensor?, uh: Tensor?

    /// A sequence's buffers for `x` (filled by the caller: the op's time-major copy, or a step
    /// plan's kept buffer) and the weights; it starts from `initialStates` (zeros when empty).
    /// A step plan keeps the sequence and runs it again on each batch; the op makes one per call.
    /// With a `packing` (LSTM and SimpleRNN only: their weight gradients read `x` and the states
    /// row by row), `x` holds only the rows it runs, in its first `R` rows, and `mask` is required.
    init(kind: RecurrentCellKind, activation: ElementwiseActivation, recurrentActivation: ElementwiseActivation,
         x: Tensor, mask: Tensor?, kernel: Tensor, recurrent: Tensor, bias: Tensor?, initialStates: [Tensor] = [],
         packing: RecurrentRowPacking? = nil) {
        self.kind = kind
        act = activation
        recAct = recurrentActivation
        steps = x.shape[0]; batch = x.shape[1]; features = x.shape[2]; units = recurrent.shape[0]
        self.packing = packing
        packedRows = packing?.rows ?? steps * batch
        self.x = x; self.mask = mask; self.kernel = kernel; self.recurrent = recurrent; self.bias = bias
        let g = kind.gates * units
        inputBias = nil
        recurrentBias = nil
        hs = Tensor.uninitialized([steps + 1, batch, units])
        cs = Tensor.uninitialized(kind == .lstm ? [steps + 1, batch, units] : [1])
        gates = Tensor.uninitialized([steps, batch, g])
        extra = Tensor.uninitialized(kind == .simple ? [1] : [steps, batch, units])
        rec = Tensor.uninitialized([batch, g])
        let resetBefore = kind == .gru(resetAfter: false)
        uzr = resetBefore ? Tensor.uninitialized([units, 2 * units]) : nil
        uh = resetBefore ? Tensor.uninitialized([units, units]) : nil
        bind(kernel: kernel, recurrent: recurrent, bias: bias)
        start(initialStates)
    }

    /// Points the sequence at weights of the same shapes (a kept sequence: the current values).
    func bind(kernel: Tensor, recurrent: Tensor, bias: Tensor?) {
        self.kernel = kernel; self.recurrent = recurrent; self.bias = bias
        let g = width
        inputBias = bias.map { UnsafePointer($0.data) }
        recurrentBias = bias.flatMap { b in b.count == 2 * g ? UnsafePointer(b.data + g) : nil }
    }

    /// Sets the initial state (and cell) to `initialStates`, zeros when empty. Every step writes
    /// its state: only the initial one needs setting.
    func start(_ initialStates: [Tensor] = []) {
        let bu = batch * units
        hs.data.update(repeating: 0, count: bu)
        cs.data.update(repeating: 0, count: min(cs.count, bu))
        for i in 0..<min(initialStates.count, 2) { (i == 0 ? hs : cs).data.update(from: initialStates[i].data, count: bu) }
    }

    /// `(batch, steps, features)` rows `x` into the time-major `(steps, batch, features)` `into`,
    /// in processing order (last step first with `goBackwards`).
    static func timeMajor(_ x: UnsafePointer<Float>, into xt: UnsafeMutablePointer<Float>, batch b: Int, steps: Int,
                          features f: Int, goBackwards: Bool) {
        for t in 0..<steps {
            let s = goBackwards ? steps - 1 - t : t
            for i in 0..<b { Kernels.copy(x + (i * steps + s) * f, to: xt + (t * b + i) * f, count: f) }
        }
    }

    func masked(_ t: Int, _ b: Int) -> Bool { mask.map { $0.data[t * batch + b] == 0 } ?? false }

    /// Where step `t`'s rows start in `x`, `gates` and the gate gradients, and how many leading
    /// rows of the batch it runs (the others carry their state through).
    @inline(__always)
    func stepRows(_ t: Int) -> (offset: Int, count: Int) {
        guard let packing else { return (t * batch, batch) }
        return (packing.offsets[t], packing.counts[t])
    }

    /// Applies `f` to columns `[off, off + units)` of `rows` rows of a `(rows, G·u)` block.
    private func columns(_ p: UnsafeMutablePointer<Float>, rows: Int, _ off: Int, _ f: ElementwiseActivation) {
        for b in 0..<rows { f.apply(p + b * width + off, count: units) }
    }

    /// How many slices of the batch run the steps concurrently: the rows of a batch are
    /// independent through time, so each slice runs the whole sequence on its own core and the
    /// slices meet once per pass, not once per step. One slice for small work, on a worker of a
    /// parallel job, on one core, or with ``Parallel/twoCoreFits`` off (`SWIFTKERAS_TWO_CORE=0`).
    /// Each row's arithmetic is the same in every slicing.
    var parts: Int {
        let work = steps * batch * width * (units + features)
        let oneCore = Parallel.cores < 2 || Parallel.isWorkerThread || !Parallel.twoCoreFits
        return oneCore || batch < 16 || work < Self.splitWork ? 1 : 2
    }

    /// An LSTM with sigmoid gates and a tanh cell on a multiple of 8 units: its gate math runs
    /// fused (``Kernels/lstmForward(_:cPrev:c:ac:h:rows:units:)``).
    var defaultLSTM: Bool { fusesGates && kind == .lstm && act == .tanh && recAct == .sigmoid && units % 8 == 0 }
    /// A GRU with `reset_after`, sigmoid gates and a tanh candidate on a multiple of 8 units:
    /// its gate math runs fused (``Kernels/gruForward(_:rec:e:hPrev:h:rows:units:)``).
    var defaultGRU: Bool {
        fusesGates && kind == .gru(resetAfter: true) && act == .tanh && recAct == .sigmoid && units % 8 == 0
    }
    /// False to run the general gate math (tests compare both).
    var fusesGates = true
    /// False to run the Swift gate kernels and OpenBLAS step products instead of the AVX2 ones
    /// (``Kernels/nativeRecurrentSteps``; tests compare both).
    var native = Kernels.nativeRecurrentSteps

    /// `c = a·b` (`+ c` with `accumulate`), `a` `(m, k)`, `b` `(k, n)`: one step's recurrent product,
    /// in AVX2 where it runs (``native``, `n` a multiple of 8), else one OpenBLAS call.
    @inline(__always)
    func stepProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                     m: Int, n: Int, k: Int, accumulate: Bool) {
        if native && n % 8 == 0 {
            Kernels.nativeStepGemm(a, b, c, m: m, n: n, k: k, accumulate: accumulate)
        } else {
            Kernels.stepGemm(a, transA: false, b, transB: false, c, m: m, n: n, k: k, beta: accumulate ? 1 : 0)
        }
    }

    /// Multiply-adds of a sequence (steps · batch · G·u · (u + features)) from which its batch
    /// is split across two cores.
    static let splitWork = 1 << 20

    // MARK: Forward

    func forward() {
        let g = width, u = units
        // One GEMM for the input projection of every step (and the input bias).
        if let inputBias { Kernels.fillRows(gates.data, with: inputBias, rows: packedRows, cols: g) }
        Kernels.gemm(x.data, transA: false, kernel.data, transB: false, gates.data, m: packedRows, n: g, k: features,
                     beta: inputBias == nil ? 0 : 1)
        if let uzr, let uh {
            Self.columns(of: recurrent, 0, 2 * u, into: uzr)
            Self.columns(of: recurrent, 2 * u, u, into: uh)
        }
        // The sequence itself is the fan-out's context: nothing is allocated to share it.
        Parallel.withSingleThreadedBLAS {
            Parallel.forEachPart(batch, parts: parts, context: Unmanaged.passUnretained(self).toOpaque()) { context, _, rows in
                Unmanaged<RecurrentSequence>.fromOpaque(context).takeUnretainedValue().forwardSteps(rows: rows)
            }
        }
    }

    /// Every step, in order, of rows `rows` of the batch.
    private func forwardSteps(rows: Range<Int>) {
        let rec = self.rec.data + rows.lowerBound * width
        for t in 0..<steps { forwardStep(t, rows: rows, rec: rec, uzr: uzr, uh: uh) }
    }

    /// Step `t` of rows `rows` of the batch: the recurrent GEMM and the gate math in place in
    /// `gates`, the new state into `hs` (and `cs`). `rec` is a work buffer of the rows' size.
    /// Rows past the step's ``stepRows(_:)`` count carry their state through.
    private func forwardStep(_ t: Int, rows: Range<Int>, rec: UnsafeMutablePointer<Float>, uzr: Tensor?, uh: Tensor?) {
        let (offset, count) = stepRows(t)
        let g = width, u = units, bu = batch * units, lo = rows.lowerBound
        let n = Swift.min(rows.upperBound, Swift.max(lo, count)) - lo, nu = n * units
        let hPrev = hs.data + t * bu + lo * u, h = hs.data + (t + 1) * bu + lo * u
        if n < rows.count {
            let skipped = (rows.count - n) * u
            (h + n * u).update(from: hPrev + n * u, count: skipped)
            if kind == .lstm { (cs.data + (t + 1) * bu + (lo + n) * u).update(from: cs.data + t * bu + (lo + n) * u, count: skipped) }
            if n == 0 { return }
        }
        let zt = gates.data + (offset + lo) * g
        switch kind {
        case .simple:
            stepProduct(hPrev, recurrent.data, zt, m: n, n: g, k: u, accumulate: true)
            act.apply(zt, count: nu)
            h.update(from: zt, count: nu)
        case .lstm:
            stepProduct(hPrev, recurrent.data, zt, m: n, n: g, k: u, accumulate: true)
            let cPrev = cs.data + t * bu + lo * u, c = cs.data + (t + 1) * bu + lo * u, ac = extra.data + t * bu + lo * u
            if defaultLSTM {
                if native {
                    Kernels.nativeLSTMForward(zt, cPrev: cPrev, c: c, ac: ac, h: h, rows: n, units: u)
                } else {
                    Kernels.lstmForward(zt, cPrev: cPrev, c: c, ac: ac, h: h, rows: n, units: u)
                }
                break
            }
            for b in 0..<n {
                let row = zt + b * g
                recAct.apply(row, count: 2 * u)
                act.apply(row + 2 * u, count: u)
                recAct.apply(row + 3 * u, count: u)
            }
            for b in 0..<n {
                let row = zt + b * g
                for j in 0..<u { c[b * u + j] = row[u + j] * cPrev[b * u + j] + row[j] * row[2 * u + j] }
            }
            ac.update(from: c, count: nu)
            act.apply(ac, count: nu)
            for b in 0..<n {
                for j in 0..<u { h[b * u + j] = zt[b * g + 3 * u + j] * ac[b * u + j] }
            }
        case .gru(let resetAfter):
            let e = extra.data + t * bu + lo * u
            if resetAfter {
                if let recurrentBias { Kernels.fillRows(rec, with: recurrentBias, rows: n, cols: g) }
                stepProduct(hPrev, recurrent.data, rec, m: n, n: g, k: u, accumulate: recurrentBias != nil)
                if defaultGRU {
                    if native {
                        Kernels.nativeGRUForward(zt, rec: rec, e: e, hPrev: hPrev, h: h, rows: n, units: u)
                    } else {
                        Kernels.gruForward(zt, rec: rec, e: e, hPrev: hPrev, h: h, rows: n, units: u)
                    }
                    break
                }
                for b in 0..<n {
                    for j in 0..<(2 * u) { zt[b * g + j] += rec[b * g + j] }
                    for j in 0..<u { e[b * u + j] = rec[b * g + 2 * u + j] }
                }
                columns(zt, rows: n, 0, recAct); columns(zt, rows: n, u, recAct)
                for b in 0..<n { for j in 0..<u { zt[b * g + 2 * u + j] += zt[b * g + u + j] * e[b * u + j] } }
            } else if let uzr, let uh {
                stepProduct(hPrev, uzr.data, rec, m: n, n: 2 * u, k: u, accumulate: false)
                for b in 0..<n { for j in 0..<(2 * u) { zt[b * g + j] += rec[b * 2 * u + j] } }
                columns(zt, rows: n, 0, recAct); columns(zt, rows: n, u, recAct)
                for b in 0..<n { for j in 0..<u { e[b * u + j] = zt[b * g + u + j] * hPrev[b * u + j] } }
                stepProduct(e, uh.data, rec, m: n, n: u, k: u, accumulate: false)
                for b in 0..<n { for j in 0..<u { zt[b * g + 2 * u + j] += rec[b * u + j] } }
            }
            columns(zt, rows: n, 2 * u, act)
            for b in 0..<n {
                for j in 0..<u {
                    let zz = zt[b * g + j], hh = zt[b * g + 2 * u + j]
                    h[b * u + j] = zz * hPrev[b * u + j] + (1 - zz) * hh
                }
            }
        }
        // Masked rows keep the previous state (and so output it again).
        for b in 0..<n where masked(t, lo + b) {
            (h + b * u).update(from: hPrev + b * u, count: u)
            if kind == .lstm { (cs.data + (t + 1) * bu + (lo + b) * u).update(from: cs.data + t * bu + (lo + b) * u, count: u) }
        }
    }

    /// Columns `[from, from + count)` of a `(rows, cols)` matrix into the contiguous `(rows, count)` `out`.
    static func columns(of m: Tensor, _ from: Int, _ count: Int, into out: Tensor) {
        let rows = m.shape[0], cols = m.shape[1]
        for r in 0..<rows { (out.data + r * count).update(from: m.data + r * cols + from, count: count) }
    }
}

/// The rows a masked sequence runs at each step, packed: a row whose steps are all masked from
/// some step on (a padded sentence's tail), or up to some step (its head, run backwards), only
/// carries its state there. The batch is reordered (`order[i]` is the batch row at position `i`)
/// by the first step each row runs, then by its last, latest first, so that the rows a step runs
/// are the leading `counts[t]`; `x`, the gates and their gradients hold those rows only, step
/// after step from `offsets[t]` (`rows` in all). A masked row among the leading ones runs and is
/// masked as before. Each row's arithmetic is the same as unpacked; the weight gradients sum
/// fewer (all-zero) rows. Keras (`keras/src/backend/jax/rnn.py`) runs every step of every row.
struct RecurrentRowPacking {
    let batch: Int
    let order: [Int], counts: [Int], offsets: [Int]
    let rows: Int

    /// The packing of a `(batch, steps)` mask read in processing order (last step first with
    /// `goBackwards`).
    init(mask: UnsafePointer<Float>, batch: Int, steps: Int, goBackwards: Bool) {
        var first = [Int](repeating: steps, count: batch), last = [Int](repeating: -1, count: batch)
        for b in 0..<batch {
            for t in 0..<steps where mask[b * steps + (goBackwards ? steps - 1 - t : t)] != 0 {
                if first[b] == steps { first[b] = t }
                last[b] = t
            }
        }
        let order = (0..<batch).sorted { (first[$0], -last[$0], $0) < (first[$1], -last[$1], $1) }
        var counts = [Int](repeating: 0, count: steps)
        for (i, b) in order.enumerated() where first[b] <= last[b] {
            for t in first[b]...last[b] { counts[t] = i + 1 }
        }
        var offsets = [Int](repeating: 0, count: steps), rows = 0
        for t in 0..<steps { offsets[t] = rows; rows += counts[t] }
        self.batch = batch; self.order = order; self.counts = counts; self.offsets = offsets; self.rows = rows
    }

    /// `(batch, width)` rows of `t` in packed order (`toPacked`) or back in batch order.
    func reorder(_ t: Tensor, width: Int, toPacked: Bool) -> Tensor {
        let out = Tensor.uninitialized([batch, width])
        for (i, b) in order.enumerated() {
            let (from, to) = toPacked ? (b, i) : (i, b)
            (out.data + to * width).update(from: t.data + from * width, count: width)
        }
        return out
    }
}
