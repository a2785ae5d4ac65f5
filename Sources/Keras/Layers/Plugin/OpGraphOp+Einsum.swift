/// Keras `ops.einsum` for one or two operands, as differentiable ``Ops``: letters only in one
/// operand and not in the output are summed first; the two operands are then transposed to
/// `[batch, free, contracted]` and `[batch, contracted, free]`, multiplied as a stack of matrices,
/// and the product reshaped and transposed to the output's letters. The equation is explicit
/// (`ab,bc->ac`); the Python side expands `...` and implicit outputs.
struct Einsum {
    let operands: [[Character]]
    let output: [Character]
    let equation: String

    init(_ equation: String) throws {
        self.equation = equation
        let sides = equation.replacingOccurrences(of: " ", with: "").components(separatedBy: "->")
        guard sides.count == 2 else {
            throw KerasError.invalidArgument("einsum: equation '\(equation)' must be explicit ('ij,jk->ik')")
        }
        operands = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        output = Array(sides[1])
        guard (1...2).contains(operands.count) else {
            throw KerasError.invalidArgument("einsum: '\(equation)' has \(operands.count) operands; one or two are supported")
        }
        for letters in operands + [output] {
            guard letters.allSatisfy({ $0.isLetter && $0.isASCII }), Set(letters).count == letters.count else {
                throw KerasError.invalidArgument("einsum: '\(equation)': each term must be distinct letters (repeated letters, diagonals, are not supported)")
            }
        }
        let all = Set(operands.joined())
        guard output.allSatisfy(all.contains) else {
            throw KerasError.invalidArgument("einsum: '\(equation)': the output has a letter no operand has")
        }
    }

    private func fail(_ why: String) -> KerasError { .shapeMismatch("einsum '\(equation)': \(why)") }

    /// Sums the axes of `x` (letters `terms`) whose letter is in neither `keep` list.
    private func reduce(_ x: Tensor, _ terms: [Character], keeping keep: Set<Character>) throws -> (Tensor, [Character]) {
        let drop = terms.indices.filter { !keep.contains(terms[$0]) }
        guard !drop.isEmpty else { return (x, terms) }
        return (try Ops.sum(x, axes: drop), terms.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
    }

    private func sizes(_ x: Tensor, _ terms: [Character]) throws -> [Character: Int] {
        guard x.rank == terms.count else { throw fail("operand of shape \(x.shape) for '\(String(terms))'") }
        return Dictionary(zip(terms, x.shape), uniquingKeysWith: { a, _ in a })
    }

    /// `x` (letters `terms`) permuted to the letters `order`.
    private func permuted(_ x: Tensor, _ terms: [Character], _ order: [Character]) throws -> Tensor {
        let perm = order.compactMap { terms.firstIndex(of: $0) }
        return perm == Array(0..<perm.count) ? x : try Ops.transpose(x, perm)
    }

    func apply(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == operands.count else { throw fail("\(inputs.count) operands given") }
        let out = Set(output)
        if inputs.count == 1 {
            _ = try sizes(inputs[0], operands[0])
            let (x, terms) = try reduce(inputs[0], operands[0], keeping: out)
            return try permuted(x, terms, output)
        }
        var second = inputs[1]
        if inputs[0].rank == operands[0].count && second.rank == operands[1].count {
            for (axis, k) in operands[1].enumerated() {
                guard let i = operands[0].firstIndex(of: k) else { continue }
                second = OpGraph.probeConformed(second, input: 1, axis: axis, to: inputs[0].shape[i], other: 0, otherAxis: i)
            }
        }
        let sa = try sizes(inputs[0], operands[0]), sb = try sizes(second, operands[1])
        for (k, n) in sa where sb[k] != nil && sb[k] != n {
            throw fail("letter '\(k)' has size \(n) in the first operand and \(sb[k] ?? 0) in the second")
        }
        let (a, ta) = try reduce(inputs[0], operands[0], keeping: out.union(operands[1]))
        let (b, tb) = try reduce(second, operands[1], keeping: out.union(operands[0]))
        let batch = ta.filter { tb.contains($0) && out.contains($0) }
        let contracted = ta.filter { tb.contains($0) && !out.contains($0) }
        let freeA = ta.filter { !tb.contains($0) }, freeB = tb.filter { !ta.contains($0) }
        let size = { (letters: [Character]) in letters.reduce(1) { $0 * (sa[$1] ?? sb[$1] ?? 1) } }
        let a3 = try Ops.reshape(permuted(a, ta, batch + freeA + contracted), [size(batch), size(freeA), size(contracted)])
        let b3 = try Ops.reshape(permuted(b, tb, batch + contracted + freeB), [size(batch), size(contracted), size(freeB)])
        let product = try Ops.batchMatmul(a3, b3)
        let terms = batch + freeA + freeB
        let y = try Ops.reshape(product, terms.map { sa[$0] ?? sb[$0] ?? 1 })
        return try permuted(y, terms, output)
    }
}
