/// Linear algebra of `keras.ops.linalg` as graph ops (Ops+LinearAlgebra.swift): each reads its
/// matrices' size and batch at run time, so a layer's traced call runs them on sizes unknown
/// when it was traced, as Keras's call does under jax.jit.
extension OpGraphOp {
    /// These ops and their number of inputs; nil for a name that is not one.
    static func linearAlgebra(_ name: String, _ a: OpAttributes) throws -> (Int, ([Tensor]) throws -> Tensor)? {
        switch name {
        case "inv":
            return (1, { x in try Ops.inv(x[0]) })
        case "det":
            return (1, { x in try Ops.determinant(x[0]) })
        case "slogdet":   // one of Keras's (sign, logabsdet), by "part"
            let part = try a.int("part", default: 1)
            guard part == 0 || part == 1 else { throw a.bad("part", "must be 0 (the sign) or 1 (the log of |det|), got \(part)") }
            if part == 0 { return (1, { x in try Ops.determinantSign(x[0]) }) }
            return (1, { x in try Ops.determinant(x[0], logAbs: true) })
        case "solve":
            return (2, { x in try Ops.solve(x[0], x[1]) })
        case "cholesky":
            let upper = try a.bool("upper", default: false)
            return (1, { x in try Ops.cholesky(x[0], upper: upper) })
        default:
            return nil
        }
    }
}
