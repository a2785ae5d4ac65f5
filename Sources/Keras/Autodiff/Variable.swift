/// A named, mutable tensor owned by a layer or an optimizer: a weight. Keras: `keras.Variable`.
///
/// Reading ``value`` while a tape records makes the variable a leaf of that tape, so layers
/// simply use `kernel.value` in their `call` and get gradients for free.
public final class Variable: @unchecked Sendable {
    /// The short name (`kernel`, `bias`).
    public let name: String
    /// The full path: the layers that created it, outermost first (`dense/kernel`,
    /// `two_dense/dense/kernel` for a sublayer's weight). Keras: `variable.path`.
    public var path: String
    /// Whether optimizers update it; a layer's `trainable` setter sets it for the weights that
    /// were created trainable.
    public var trainable: Bool
    /// Whether it was created trainable: the layer lists it with its trainable weights first
    /// (Keras: `layer._trainable_variables`), whatever its current flag.
    let createdTrainable: Bool
    /// Applied after each optimizer update.
    public var constraint: Constraint?
    @exclusivity(unchecked) var storedValue: Tensor { didSet { version &+= 1 } }
    /// Counts the writes to the value (assignments, optimizer and constraint updates), so that
    /// what is derived from it (a BatchNormalization folded into a kernel) knows when to recompute.
    @exclusivity(unchecked) private(set) var version: UInt64 = 0

    public init(_ value: Tensor, name: String, trainable: Bool = true, constraint: Constraint? = nil) {
        self.storedValue = value.detached
        self.name = name
        self.path = name
        self.trainable = trainable
        self.createdTrainable = trainable
        self.constraint = constraint
    }

    /// A value read instead of the stored one while set (``SpectralNormalization``'s normalized
    /// kernel in a training step, computed from the kernel on the tape).
    @exclusivity(unchecked) var substitute: Tensor?

    /// The current value; recorded as a leaf when a tape is active.
    public var value: Tensor {
        if let substitute { return substitute }
        if let tape = GradientTape.active { return tape.read(self) }
        return storedValue
    }

    /// The current value, never recorded.
    public var numpy: Tensor { storedValue.copy() }

    public var shape: [Int] { storedValue.shape }

    /// Replaces the value; the shape must match. The caller's tensor is copied.
    public func assign(_ newValue: Tensor) throws {
        guard newValue.shape == shape else {
            throw KerasError.shapeMismatch("Variable '\(path)': cannot assign a value of shape \(newValue.shape) to a variable of shape \(shape)")
        }
        storedValue = newValue.copy()
    }

    /// In-place access for optimizers and constraints (counted as a write).
    var mutableData: UnsafeMutablePointer<Float> {
        version &+= 1
        return storedValue.data
    }
}

extension Variable: CustomStringConvertible {
    /// `<Variable path=dense/kernel, shape=(4, 8), dtype=float32, value=[[...]]>`, as Keras prints one.
    public var description: String {
        "<Variable path=\(path), shape=\(formatShape(shape.map { Optional($0) })), dtype=float32, value=\(storedValue)>"
    }
}
