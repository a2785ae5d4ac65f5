/// `ops.reshape` to a target whose sizes follow dimensions unknown at trace time (Keras:
/// `h, w = ops.shape(x)[1:3]; ops.reshape(x, [b, h * 3, w * 3, c])` for an input of unknown
/// height and width): the target's sizes computed from the op's inputs' shapes each time the
/// graph runs, as Keras's call computes them from the concrete shapes it is traced for.
extension OpGraphOp {
    /// A size read from an input's dimension: the input (0 the reshaped tensor, then the
    /// tensors the sizes are read from) and its `axis`, then `steps` applied in order (`*`,
    /// `//`, `+`, `-` by an integer or by another size read so).
    final class ReadSize {
        enum Operand { case int(Int), size(ReadSize) }
        let input: Int
        let axis: Int
        let steps: [(String, Operand)]

        init(input: Int, axis: Int, steps: [(String, Operand)]) {
            self.input = input
            self.axis = axis
            self.steps = steps
        }

        /// `[input, axis, [[step, operand], ...]]`, an operand an integer or such a list.
        convenience init(_ json: JSON, _ a: OpAttributes, arity: Int, depth: Int = 0) throws {
            guard depth < 16, let parts = json.arrayValue, parts.count == 3, let input = parts[0].intValue,
                  let axis = parts[1].intValue, let steps = parts[2].arrayValue else {
                throw a.bad("read_sizes", "must hold sizes [input, axis, steps] (nested at most 16 deep), got \(json)")
            }
            guard input >= 0 && input < arity else {
                throw a.bad("read_sizes", "names input \(input) of an op of \(arity) inputs")
            }
            let read: [(String, Operand)] = try steps.map { step in
                guard let pair = step.arrayValue, pair.count == 2, let op = pair[0].stringValue,
                      ["*", "//", "+", "-"].contains(op) else {
                    throw a.bad("read_sizes", "steps must be [\"*\" | \"//\" | \"+\" | \"-\", operand], got \(step)")
                }
                if let k = pair[1].intValue {
                    guard op != "//" || k != 0 else { throw a.bad("read_sizes", "divides by 0") }
                    return (op, .int(k))
                }
                return (op, .size(try ReadSize(pair[1], a, arity: arity, depth: depth + 1)))
            }
            self.init(input: input, axis: axis, steps: read)
        }

        /// The last input it reads (its own and its steps').
        var lastInput: Int {
            steps.reduce(input) { m, step in
                if case .size(let s) = step.1 { return Swift.max(m, s.lastInput) }
                return m
            }
        }

        func size(_ inputs: [Tensor]) throws -> Int {
            guard input < inputs.count else {
                throw KerasError.invalidArgument("op graph: a size read from input \(input) of \(inputs.count)")
            }
            let shape = inputs[input].shape
            let ax = axis < 0 ? axis + shape.count : axis
            guard ax >= 0 && ax < shape.count else {
                throw KerasError.invalidArgument("op graph: a size read from axis \(axis) of a tensor of shape \(shape)")
            }
            var size = shape[ax]
            for (step, operand) in steps {
                let k: Int
                switch operand {
                case .int(let i): k = i
                case .size(let s): k = try s.size(inputs)
                }
                let (value, overflow): (Int, Bool)
                switch step {
                case "*": (value, overflow) = size.multipliedReportingOverflow(by: k)
                case "+": (value, overflow) = size.addingReportingOverflow(k)
                case "-": (value, overflow) = size.subtractingReportingOverflow(k)
                default:   // "//": floor division, as Python's
                    guard k != 0 else {
                        throw KerasError.invalidArgument("op 'reshape': a size read from a tensor of shape \(shape) divides by 0")
                    }
                    let (q, over) = size.dividedReportingOverflow(by: k)
                    (value, overflow) = (!over && size % k != 0 && (size < 0) != (k < 0) ? q - 1 : q, over)
                }
                guard !overflow else {
                    throw KerasError.invalidArgument("op 'reshape': the size read from axis \(axis) of a tensor of shape \(shape) overflows")
                }
                size = value
            }
            return size
        }
    }

    /// The sizes argument `"read_sizes"`: `[[position, size], ...]`, each size as ``ReadSize``.
    static func readSizes(_ a: OpAttributes, arity: Int, rank: Int) throws -> [(Int, ReadSize)] {
        guard let items = a.json["read_sizes"]?.arrayValue else {
            throw a.bad("read_sizes", "must be a list of [position, size]")
        }
        return try items.map { item in
            guard let parts = item.arrayValue, parts.count == 2, let position = parts[0].intValue else {
                throw a.bad("read_sizes", "must hold [position, size] entries, got \(item)")
            }
            guard position >= 0 && position < rank else {
                throw a.bad("read_sizes", "names position \(position) of a target of rank \(rank)")
            }
            return (position, try ReadSize(parts[1], a, arity: arity))
        }
    }

    /// `reshape(x, newshape)` with the sizes `read` from the inputs' shapes at each run.
    static func reshapeReading(_ a: OpAttributes, arity: Int) throws -> ([Tensor]) throws -> Tensor {
        guard let target = try a.axes("newshape") else { throw a.bad("newshape", "is required") }
        let read = try readSizes(a, arity: arity, rank: target.count)
        return { x in
            var shape = target
            for (position, size) in read { shape[position] = try size.size(x) }
            return try Ops.reshape(x[0], shape)
        }
    }
}
