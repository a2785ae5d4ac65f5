/// Joins its inputs along `axis`; all other dimensions must agree.
/// Keras: `keras.layers.Concatenate`.
///
/// ```swift
/// let a = Input(shape: [3]), b = Input(shape: [2])
/// let joined = try Concatenate()([a, b])   // (None, 5)
/// ```
public final class Concatenate: Merge, @unchecked Sendable {
    /// The axis to join along (negative counts from the end; 0 is the batch axis).
    public let axis: Int

    public init(axis: Int = -1, name: String? = nil, trainable: Bool = true) {
        self.axis = axis
        super.init(name: name, trainable: trainable)
    }

    /// Keras's rule: an input without a mask counts as unmasked, a mask of lower rank is repeated
    /// along the input's last axis, the masks are joined like the inputs, and a position is
    /// unmasked when any value along the last axis is.
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        guard masks.contains(where: { $0 != nil }) else { return [nil] }
        guard masks.count == inputs.count else {
            throw KerasError.invalidArgument("Concatenate '\(name)': \(masks.count) masks for \(inputs.count) inputs")
        }
        let full = try zip(inputs, masks).map { x, m in try m.map { try spread($0, over: x) } ?? Tensor(shape: x.shape, repeating: 1) }
        let joined = try GradientTape.withoutRecording { try Ops.concatenate(full, axis: axis) }
        return [anyAlongLastAxis(joined, differingFrom: 0)]
    }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        _ = try computeOutputShape(shapes: inputs.map { $0.shape.map { Optional($0) } })
        return [try Ops.concatenate(inputs, axis: axis)]
    }

    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count >= 2 else {
            throw KerasError.invalidArgument("Concatenate '\(name)' needs a list of at least 2 inputs, got \(shapes.count)")
        }
        let rank = shapes[0].count
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw KerasError.invalidArgument("Concatenate '\(name)': axis \(axis) is out of range for inputs of rank \(rank)")
        }
        var out = shapes[0]
        for s in shapes.dropFirst() {
            let fits = s.count == rank && s.indices.allSatisfy { i in
                i == a || s[i] == nil || out[i] == nil || s[i] == out[i]
            }
            guard fits else {
                throw KerasError.shapeMismatch("Concatenate '\(name)': inputs must match except on axis \(axis), got shapes \(shapes.map(formatShape).joined(separator: ", "))")
            }
            for i in s.indices where i != a && out[i] == nil { out[i] = s[i] }
            if let x = out[a], let y = s[a] {
                out[a] = try ShapeMath.sum(x, y, "Concatenate '\(name)'")
            } else {
                out[a] = nil
            }
        }
        return out
    }
}

extension Concatenate: DeclaredLayer {
    /// Keras: `Concatenate(axis=-1)`.
    public static let declaration = LayerDeclaration(Concatenate.self, checkedWhenBuilt: ["axis": nil], arguments: [
        .optional("axis", \.axis, default: -1),
    ]) { c in Concatenate(axis: try c.int("axis"), name: c.name) }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Concatenate.self, $0) }
