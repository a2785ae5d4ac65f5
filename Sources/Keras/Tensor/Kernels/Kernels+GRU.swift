/// The gate math of a GRU step with Keras's defaults (sigmoid gates, tanh candidate,
/// `reset_after`), eight units at a time in registers: one pass over a row instead of one per
/// gate and activation. Each element is computed with the same operations in the same order as
/// the general path of ``RecurrentSequence``, so both give bit-identical results.
extension Kernels {
    /// Forward: `z` `(rows, 3u)` holds the input projections of gates z, r, h and receives
    /// their activations; `rec` `(rows, 3u)` the recurrent products (with their bias). `e`
    /// receives the recurrent h part, `h = z·hPrev + (1 − z)·hh` (`(rows, u)` each). `u` is a
    /// multiple of 8.
    static func gruForward(_ z: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>, e: UnsafeMutablePointer<Float>,
                           hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, rows: Int, units u: Int) {
        for b in 0..<rows {
            let row = z + b * 3 * u, rrow = rec + b * 3 * u, s = b * u
            for j in stride(from: 0, to: u, by: 8) {
                let zg = sigmoid8(load8(row + j) + load8(rrow + j))
                let r = sigmoid8(load8(row + u + j) + load8(rrow + u + j))
                let ev = load8(rrow + 2 * u + j)
                let hh = tanh8(load8(row + 2 * u + j) + r * ev)
                store8(zg, row + j); store8(r, row + u + j); store8(hh, row + 2 * u + j); store8(ev, e + s + j)
                store8(zg * load8(hPrev + s + j) + (1 - zg) * hh, h + s + j)
            }
        }
    }

    /// Backward: from the activated gates `a` `(rows, 3u)`, `e`, `hPrev` and the state gradient
    /// `dh` `(rows, u)`, the pre-activation gradients of the input projections into `dx` and of
    /// the recurrent products into `dr` (`(rows, 3u)` each). `u` is a multiple of 8.
    static func gruBackward(_ a: UnsafePointer<Float>, e: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                            dh: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, dr: UnsafeMutablePointer<Float>,
                            rows: Int, units u: Int) {
        for b in 0..<rows {
            let row = a + b * 3 * u, xrow = dx + b * 3 * u, rrow = dr + b * 3 * u, s = b * u
            for j in stride(from: 0, to: u, by: 8) {
                let zg = load8(row + j), r = load8(row + u + j), hh = load8(row + 2 * u + j), dhv = load8(dh + s + j)
                let dz = ((dhv * (load8(hPrev + s + j) - hh)) * zg) * (1 - zg)
                let dpre = (dhv * (1 - zg)) * (1 - hh * hh)
                let dres = ((dpre * load8(e + s + j)) * r) * (1 - r)
                store8(dz, xrow + j); store8(dres, xrow + u + j); store8(dpre, xrow + 2 * u + j)
                store8(dz, rrow + j); store8(dres, rrow + u + j); store8(dpre * r, rrow + 2 * u + j)
            }
        }
    }
}
