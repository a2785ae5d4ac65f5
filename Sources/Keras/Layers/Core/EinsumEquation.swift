/// How an `EinsumDense` equation (`"abc,cde->abde"`, `"...b,bc->...c"`) maps onto one GEMM for
/// inputs of a given rank: the input's axes are permuted to (free, contracted), the kernel's to
/// (contracted, produced), the product `[M, K] · [K, N]` is reshaped to (free, produced) and
/// permuted into the output's order. Keras: `_analyze_einsum_string` in `einsum_dense.py`.
struct EinsumPlan {
    /// The letters of the input, kernel and output with any ellipsis replaced by fresh letters.
    let input: [Character], kernel: [Character], output: [Character]
    /// Shapes of the weights, and of the output (nil where the input's size is unknown).
    let kernelShape: [Int]
    let biasShape: [Int]?
    let outputShape: [Int?]
    /// The output axes the user's partial output shape covers (after the batch axis, or after
    /// the axes a leading ellipsis stands for).
    let userAxes: Range<Int>
    /// Axis orders: input → (free, contracted), kernel → (contracted, produced), and
    /// (free, produced) → output. Identity orders are skipped at call time.
    let inputPerm: [Int], kernelPerm: [Int], outputPerm: [Int]
    /// The contracted size K and the produced size N of the GEMM.
    let k: Int, n: Int
    /// The output's free letters (from the input), in output order.
    let free: [Character]
    /// True when the bias covers exactly the produced axes, in order, at the end of the output:
    /// the product and bias then fuse into one `Ops.dense`.
    let biasFuses: Bool

    /// Analyses `equation` for inputs of `inputShape` (batch first); `layer` names errors.
    init(_ equation: String, biasAxes: String?, inputShape: [Int?], partialOutput: [Int?], layer: String) throws {
        func bad(_ why: String) -> KerasError {
            KerasError.invalidArgument("EinsumDense '\(layer)': equation '\(equation)' \(why)")
        }
        let sides = equation.replacingOccurrences(of: " ", with: "").components(separatedBy: "->")
        let operands = sides.first?.components(separatedBy: ",") ?? []
        guard sides.count == 2, operands.count == 2 else {
            throw bad("must have the form 'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...'")
        }
        var x = operands[0], z = sides[1]
        let y = operands[1]
        let left = x.hasPrefix("...") && z.hasPrefix("...")
        let right = !left && x.hasSuffix("...") && z.hasSuffix("...")
        if left { x.removeFirst(3); z.removeFirst(3) }
        if right { x.removeLast(3); z.removeLast(3) }
        let letters = { (s: String) in s.allSatisfy { $0.isASCII && $0.isLetter } && !s.isEmpty }
        guard letters(x), letters(y), letters(z), !(right && x.count < 2) else {
            throw bad("must have the form 'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...' with letters only")
        }
        let elided = inputShape.count - x.count
        guard elided >= 0, elided == 0 || left || right else {
            throw bad("expects inputs of rank \(x.count), got shape \(formatShape(inputShape))")
        }
        // The ellipsis stands for free axes that pass through: fresh letters (digits).
        let fresh = (0..<elided).map { Character(String($0 % 10)) }
        let xs = Array(x), ys = Array(y), zs = Array(z)
        let input = left ? fresh + xs : xs + fresh, kernel = ys, output = left ? fresh + zs : zs + fresh
        self.input = input
        self.kernel = kernel
        self.output = output
        for s in [input, kernel, output] where Set(s).count != s.count {
            throw bad("repeats a letter within one operand")
        }
        // The user's partial output shape covers the output after its first (batch) axis, or
        // all of Z when the ellipsis leads (the batch axis is then inside the ellipsis).
        let userStart = left ? elided : 1
        let userEnd = left ? output.count : zs.count
        guard partialOutput.count == userEnd - userStart else {
            throw KerasError.invalidArgument("EinsumDense '\(layer)': output_shape \(formatShape(partialOutput)) has \(partialOutput.count) entries; equation '\(equation)' needs \(Swift.max(userEnd - userStart, 0))")
        }
        userAxes = userStart..<userEnd
        var outShape: [Int?] = []
        for (i, c) in output.enumerated() {
            let user: Int?? = (userStart..<userEnd).contains(i) ? partialOutput[i - userStart] : nil
            if let a = input.firstIndex(of: c) {
                if let u = user, let u, let d = inputShape[a], u != d {
                    throw KerasError.shapeMismatch("EinsumDense '\(layer)': input shape and output_shape do not match at shared dimension '\(c)': input has \(d), output_shape has \(u)")
                }
                outShape.append(inputShape[a])
            } else if kernel.contains(c) {
                guard let u = user, let u, u > 0 else {
                    throw KerasError.invalidArgument("EinsumDense '\(layer)': output_shape \(formatShape(partialOutput)) must give a positive size for the weight dimension '\(c)'")
                }
                outShape.append(u)
            } else {
                throw bad("has output dimension '\(c)' in neither the input nor the weight")
            }
        }
        outputShape = outShape
        var kShape: [Int] = [], contracted: [Character] = [], produced: [Character] = []
        for c in kernel {
            let inInput = input.contains(c), inOutput = output.contains(c)
            if inInput && inOutput { throw bad("shares '\(c)' between input, weight and output, which EinsumDense does not support") }
            if let o = output.firstIndex(of: c), let d = outShape[o] {
                kShape.append(d)
            } else if let a = input.firstIndex(of: c) {
                guard let d = inputShape[a] else {
                    throw KerasError.shapeMismatch("EinsumDense '\(layer)': the input dimension '\(c)' must be known, got shape \(formatShape(inputShape))")
                }
                kShape.append(d)
                contracted.append(c)
            } else {
                throw bad("has weight dimension '\(c)' in neither the input nor the output")
            }
        }
        for c in input where !kernel.contains(c) && !output.contains(c) {
            throw bad("sums over input dimension '\(c)', which EinsumDense does not support")
        }
        produced = output.filter { kernel.contains($0) }
        kernelShape = kShape
        let free = output.filter { input.contains($0) }
        self.free = free
        let inputLetters = input, kernelLetters = kernel
        inputPerm = (free + contracted).compactMap { inputLetters.firstIndex(of: $0) }
        kernelPerm = (contracted + produced).compactMap { kernelLetters.firstIndex(of: $0) }
        let middle = free + produced
        outputPerm = output.compactMap { middle.firstIndex(of: $0) }
        k = contracted.compactMap { kernelLetters.firstIndex(of: $0) }.reduce(1) { $0 * kShape[$1] }
        n = produced.compactMap { kernelLetters.firstIndex(of: $0) }.reduce(1) { $0 * kShape[$1] }
        guard let biasAxes else {
            biasShape = nil
            biasFuses = false
            return
        }
        for c in biasAxes where !zs.contains(c) {
            throw KerasError.invalidArgument("EinsumDense '\(layer)': bias_axes '\(biasAxes)' names '\(c)', which is not in the output spec '\(z)'")
        }
        guard let first = zs.firstIndex(where: { biasAxes.contains($0) }) else {
            throw KerasError.invalidArgument("EinsumDense '\(layer)': bias_axes must name at least one output axis, got ''")
        }
        let offset = left ? elided : 0
        var bShape = zs[first...].enumerated().map { i, c in biasAxes.contains(c) ? (outShape[offset + first + i] ?? 1) : 1 }
        if right { bShape += Array(repeating: 1, count: elided) }
        biasShape = bShape
        biasFuses = outputPerm == Array(0..<output.count) && Array(zs[first...]) == produced
            && produced.allSatisfy { biasAxes.contains($0) } && !right
    }

    /// The shape of an int8 kernel's scale, as Keras lays it out (`_get_kernel_scale_shape`
    /// over `_analyze_quantization_info`): the kernel's shape with the contracted axes 1,
    /// permuted into the output's order, with size-1 axes where the output has letters the
    /// kernel lacks and the leftover contracted axes squeezed. Its values run over the
    /// produced indices in output order (the GEMM's columns).
    var kernelScaleShape: [Int] {
        let reduced = kernel.indices.filter { !output.contains(kernel[$0]) }
        var expand = output.indices.filter { !kernel.contains(output[$0]) }
        var transpose = output.compactMap { kernel.firstIndex(of: $0) }
        var squeeze: [Int] = []
        var index = 0   // (Keras's loop keeps the last position when no expand axis is left)
        for axis in reduced {
            if expand.isEmpty { squeeze.append(axis) } else { index = expand.removeFirst() }
            transpose.insert(axis, at: Swift.min(index, transpose.count))
        }
        var shape = kernelShape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        shape = transpose.map { shape[$0] }
        for a in expand.sorted() { shape.insert(1, at: Swift.min(a, shape.count)) }
        for a in squeeze.sorted(by: >) where a < shape.count { shape.remove(at: a) }
        return shape
    }

    /// The output shape for an input of concrete shape `x`.
    func outputShape(for x: [Int]) -> [Int] {
        output.enumerated().map { i, c in input.firstIndex(of: c).map { x[$0] } ?? (outputShape[i] ?? 0) }
    }
}
