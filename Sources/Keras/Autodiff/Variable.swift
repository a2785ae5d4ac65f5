import Synchronization

/// A named, mutable tensor owned by a layer or an optimizer: a weight. Keras: `keras.Variable`.
///
/// Reading ``value`` while a tape records makes the variable a leaf of that tape, so layers
/// simply use `kernel.value` in their `call` and get gradients for free.
///
/// An integer variable (Keras: `add_weight(dtype="int32")`, a counter; `int64` and `uint32` as
/// Keras on jax holds them, see ``VariableDType``) keeps its exact values in ``integers``; its
/// ``value`` is the same numbers in float32, what the ops compute with (exact up to 2^24).
/// Optimizers leave it alone; files and the C and Python weight calls carry its 32-bit values.
/// An int8 or uint8 one (a quantized layer's packed weights) keeps only its bytes
/// (``bytes``): its float value is made when read, not kept.
public final class Variable: @unchecked Sendable {
    /// The short name (`kernel`, `bias`).
    public let name: String
    /// This variable's number, unique in the process and never reused: what the bindings key
    /// their one wrapper object per variable by (Keras's `model.weights[0] is dense.kernel`),
    /// across every model and layer that lists it.
    public let serial: UInt64 = Variable.serials.add(1, ordering: .relaxed).newValue
    private static let serials = Atomic<UInt64>(0)
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
    /// Whether an optimizer assigns the gradient to it instead of stepping (Keras's
    /// `overwrite_with_gradient`: a float8 layer's scales and amax histories, whose gradients
    /// are their new values); optimizers keep no slots for it.
    public var overwriteWithGradient = false
    /// `float32`, or an integer dtype (`int32`, `int64`, `uint32`, `int8`).
    public let dtype: VariableDType
    /// A float32 or 32-bit integer variable's value (the integers' float mirror); empty for an
    /// int8 / uint8 one, whose value is made from ``bytes`` when read.
    @exclusivity(unchecked) private var held: Tensor { didSet { version &+= 1; pendingDraw = nil } }
    /// The draw of a weight made with its initial values deferred (``InitialValues/deferred``):
    /// run at the first read of the values, dropped by the first write (a weight loaded from
    /// a file is never drawn). ``held`` is allocated but unwritten meanwhile.
    @exclusivity(unchecked) private var pendingDraw: (() -> Tensor)?
    /// An int8 / uint8 variable's values as their bytes (an int8's bit patterns), one a value;
    /// empty for other dtypes.
    private(set) var bytes: [UInt8] = [] { didSet { version &+= 1 } }
    /// An int8 / uint8 variable's shape (``held`` is empty for it).
    private var byteShape: [Int] = []
    /// A 32-bit integer variable's exact values (a `uint32` one's as their bit patterns);
    /// ``held`` mirrors them.
    private var heldIntegers: [Int32] = []

    /// The value as float32: the stored tensor, or for an int8 / uint8 variable its bytes
    /// converted, made on each read (a temporary: keep the tensor, not a pointer into it, while
    /// using it).
    var storedValue: Tensor {
        guard dtype.isByte else {
            drawIfPending()
            return held
        }
        return dtype.float32Mirror(of: bytes, shape: byteShape)
    }

    /// An integer variable's exact values, 32 bits each (a `uint32` one's as their bit patterns;
    /// an int8 / uint8 one's made from its bytes; empty for a float32 variable).
    public var integers: [Int32] {
        switch dtype {
        case .int8: bytes.map { Int32(Int8(bitPattern: $0)) }
        case .uint8: bytes.map { Int32($0) }
        default: heldIntegers
        }
    }
    /// Counts the writes to the value (assignments, optimizer and constraint updates), so that
    /// what is derived from it (a BatchNormalization folded into a kernel) knows when to recompute.
    @exclusivity(unchecked) private(set) var version: UInt64 = 0

    public init(_ value: Tensor, name: String, trainable: Bool = true, constraint: Constraint? = nil,
                dtype: VariableDType = .float32) {
        self.dtype = dtype
        if dtype.isByte {
            held = Tensor(shape: [0])
            byteShape = value.shape
            bytes = dtype.bytes(of: value)
        } else if dtype.isInteger {
            heldIntegers = dtype.integers(of: value)
            held = dtype.float32Mirror(of: heldIntegers, shape: value.shape)
        } else {
            held = value.detached
        }
        self.name = name
        self.path = name
        self.trainable = trainable
        self.createdTrainable = trainable
        self.constraint = constraint
    }

    /// A float32 variable of `shape` whose values `draw` makes at their first read, unless
    /// they are assigned first (``InitialValues/deferred``).
    convenience init(deferred draw: @escaping () -> Tensor, shape: [Int], name: String, trainable: Bool,
                     constraint: Constraint?) {
        self.init(Tensor.uninitialized(shape), name: name, trainable: trainable, constraint: constraint)
        pendingDraw = draw
    }

    /// Makes the deferred initial values now, if they are still owed.
    @inline(__always)
    func drawIfPending() {
        if let draw = pendingDraw { held = draw() }
    }

    /// A non-trainable int8 / uint8 variable holding `bytes` (`shape`'s count of them): a
    /// quantized layer's values written straight in, with no float value made first.
    init(bytes: [UInt8], shape: [Int], name: String, dtype: VariableDType) throws {
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            count = d < 0 || overflow ? -1 : p
        }
        guard dtype.isByte, bytes.count == count else {
            throw KerasError.invalidArgument("Variable '\(name)': \(bytes.count) bytes do not make a \(dtype.rawValue) variable of shape \(shape)")
        }
        self.dtype = dtype
        held = Tensor(shape: [0])
        byteShape = shape
        self.bytes = bytes
        self.name = name
        self.path = name
        self.trainable = false
        self.createdTrainable = false
        self.constraint = nil
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

    public var shape: [Int] { dtype.isByte ? byteShape : held.shape }

    /// The number of values.
    public var count: Int { dtype.isByte ? bytes.count : held.count }

    /// Replaces the value; the shape must match. The caller's tensor is copied.
    public func assign(_ newValue: Tensor) throws {
        guard newValue.shape == shape else {
            throw KerasError.shapeMismatch("Variable '\(path)': cannot assign a value of shape \(newValue.shape) to a variable of shape \(shape)")
        }
        if dtype.isByte {
            bytes = dtype.bytes(of: newValue)
        } else if dtype.isInteger {
            try assign(integers: dtype.integers(of: newValue))
        } else {
            held = newValue.copy()
        }
    }

    /// Takes `newValue` as a float32 variable's storage without copying it: a value nothing
    /// else holds (one just read from a weights file). Otherwise as ``assign(_:)``.
    func assign(taking newValue: Tensor) throws {
        guard dtype == .float32, newValue.shape == shape else { return try assign(newValue) }
        held = newValue
    }

    /// Replaces an integer variable's values exactly (`values.count` must be its size; a uint32
    /// variable's as bit patterns); a float32 variable takes them converted.
    public func assign(integers values: [Int32]) throws {
        let n = count
        guard values.count == n else {
            throw KerasError.shapeMismatch("Variable '\(path)': cannot assign \(values.count) values to a variable of shape \(shape) (\(n) values)")
        }
        // (an int8 variable keeps the low 8 bits, as numpy's astype("int8") does)
        // (a uint8 variable its low 8 bits unsigned, as astype("uint8"))
        if dtype.isByte {
            bytes = values.map { UInt8(truncatingIfNeeded: $0) }
            return
        }
        held = dtype.float32Mirror(of: values, shape: shape)
        if dtype.isInteger { heldIntegers = values }
    }

    /// Adds `delta` (rounded toward zero for an integer variable, whose sum wraps as its 32 bits
    /// do) to every element, exactly for an integer variable. Keras: `variable.assign_add(delta)`.
    public func assignAdd(_ delta: Tensor) throws {
        guard delta.shape == shape || delta.count == 1 else {
            throw KerasError.shapeMismatch("Variable '\(path)': cannot add a value of shape \(delta.shape) to a variable of shape \(shape)")
        }
        guard dtype.isInteger else { return try assign(Ops.add(storedValue, delta)) }
        let add = dtype.increments(of: delta)
        let sum = add.count == 1
            ? integers.map { $0 &+ add[0] }
            : zip(integers, add).map { $0 &+ $1 }
        try assign(integers: sum)
    }

    /// Rows `ids` (along the first axis) of an int8 / uint8 variable's value, as float32, read
    /// from its bytes: only those rows are converted (an int8 Embedding's table). Each id must be
    /// in `0..<shape[0]`.
    func byteRows(_ ids: [Int]) throws -> Tensor {
        let shape = self.shape
        guard dtype.isByte, let n = shape.first else {
            throw KerasError.invalidArgument("Variable '\(path)': rows are read from the bytes of an int8 or uint8 variable of rank 1 or more, not a \(dtype.rawValue) one of shape \(shape)")
        }
        for i in ids where i < 0 || i >= n {
            throw KerasError.invalidArgument("take: index \(i) is out of range for an axis of length \(n)")
        }
        let row = bytes.count / Swift.max(n, 1), signed = dtype == .int8
        var outShape = shape
        outShape[0] = ids.count
        let out = Tensor.uninitialized(outShape)
        let o = out.data
        bytes.withUnsafeBufferPointer { b in
            for (at, r) in ids.enumerated() {
                for j in 0..<row {
                    let v = b[r * row + j]
                    o[at * row + j] = signed ? Float(Int8(bitPattern: v)) : Float(v)
                }
            }
        }
        return out
    }

    /// In-place access for optimizers and constraints (counted as a write).
    /// Never an integer variable's (optimizers and constraints skip those).
    var mutableData: UnsafeMutablePointer<Float> {
        drawIfPending()
        version &+= 1
        return held.data
    }
}

extension Variable: CustomStringConvertible {
    /// `<Variable path=dense/kernel, shape=(4, 8), dtype=float32, value=[[...]]>`, as Keras prints one.
    public var description: String {
        "<Variable path=\(path), shape=\(formatShape(shape.map { Optional($0) })), dtype=\(dtype.rawValue), value=\(storedValue)>"
    }
}

/// The dtype of a ``Variable``: the library computes in float32; an integer variable (a counter)
/// keeps exact 32-bit integers, as Keras on jax does (jax has no 64-bit numbers unless asked):
/// `int64` is held as int32 (wrapping as int32 does) and reported as `int64`; `uint32` holds
/// 0 ..< 2^32. Other dtypes are refused where a weight is made.
public enum VariableDType: String, Sendable, CaseIterable {
    case float32, int32, int64, uint32
    /// A quantized layer's int8 weights (Keras: `quantize("int8")`'s kernel), -128 ... 127.
    case int8
    /// A GPTQ layer's weights (Keras: `quantize("gptq")`'s packed kernel and zero points),
    /// 0 ... 255.
    case uint8

    /// The dtype of Keras's name (`"float32"`, `"int32"`, ...); nil for one the library does not
    /// hold.
    public init?(keras name: String) { self.init(rawValue: name) }

    /// Whether its values are integers (held exactly in ``Variable/integers``).
    public var isInteger: Bool { self != .float32 }

    /// Whether a variable holds its values as bytes (``Variable/bytes``): int8 and uint8.
    var isByte: Bool { self == .int8 || self == .uint8 }

    /// `t`'s values in this dtype, as 32-bit patterns: truncated toward zero and clamped to the
    /// dtype's range (Keras's cast of a float; NaN becomes 0).
    func integers(of t: Tensor) -> [Int32] {
        let p = t.data, (low, high) = range
        return (0..<t.count).map { i in integer(p[i], low: low, high: high) }
    }

    /// An int8 / uint8 dtype's values of `t` as their bytes (an int8's bit patterns), converted
    /// as ``integers(of:)`` converts them, with no 32-bit array between.
    func bytes(of t: Tensor) -> [UInt8] {
        let p = t.data, (low, high) = range
        return (0..<t.count).map { i in UInt8(truncatingIfNeeded: integer(p[i], low: low, high: high)) }
    }

    /// The dtype's range as 64-bit integers.
    private var range: (Int64, Int64) {
        switch self {
        case .uint32: (0, Int64(UInt32.max))
        case .int8: (Int64(Int8.min), Int64(Int8.max))
        case .uint8: (0, Int64(UInt8.max))
        default: (Int64(Int32.min), Int64(Int32.max))
        }
    }

    /// `x` truncated toward zero and clamped to `low ... high` (NaN: 0), as a 32-bit pattern.
    @inline(__always)
    private func integer(_ x: Float, low: Int64, high: Int64) -> Int32 {
        let n = x.isNaN ? 0 : (Int64(exactly: x.rounded(.towardZero)) ?? (x < 0 ? low : high))
        return Int32(truncatingIfNeeded: Swift.min(Swift.max(n, low), high))
    }

    /// The 32-bit patterns to add for `delta` in ``Variable/assignAdd(_:)``: a uint32 variable
    /// takes a negative step (`assign_sub`) modulo 2^32, as its bits wrap.
    func increments(of delta: Tensor) -> [Int32] {
        guard self == .uint32 else { return VariableDType.int32.integers(of: delta) }
        let p = delta.data
        return (0..<delta.count).map { i in
            let x = p[i].rounded(.towardZero)
            return x.isFinite && abs(x) < 1e18 ? Int32(truncatingIfNeeded: Int64(x)) : 0
        }
    }

    /// The float32 tensor of an integer variable's stored values (what ops read): an int8 /
    /// uint8 one's bytes (an int8's bit patterns), a 32-bit one's integers (a uint32's bit patterns).
    func float32Mirror<Stored: FixedWidthInteger>(of values: [Stored], shape: [Int]) -> Tensor {
        let t = Tensor.uninitialized(shape)
        let p = t.data
        func convert(_ float: (Stored) -> Float) {
            for i in 0..<values.count { p[i] = float(values[i]) }
        }
        switch self {
        case .int8: convert { Float(Int8(truncatingIfNeeded: $0)) }
        case .uint32: convert { Float(UInt32(truncatingIfNeeded: $0)) }
        default: convert { Float($0) }
        }
        return t
    }
}
