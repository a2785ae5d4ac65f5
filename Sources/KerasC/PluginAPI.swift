#if canImport(Glibc)
import Glibc
#endif
import Keras

// Custom layers, losses, metrics, activations and callbacks written in C (or Python through
// ctypes), registered globally or in a scope, and plugins loaded from shared libraries.
// C structs are read at their LP64 offsets, as laid out by include/keras.h.

typealias CreateFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
typealias BuildFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<Int64>?) -> Int32
typealias OutputShapeFn = @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<Int64>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int64>?) -> Int32
typealias ForwardFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?,
                                      UnsafePointer<UnsafePointer<Float>?>?, Int32, UnsafeMutablePointer<Float>?, Int32) -> Int32
typealias BackwardFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?,
                                       UnsafePointer<UnsafePointer<Float>?>?, Int32, UnsafePointer<Float>?,
                                       UnsafeMutablePointer<Float>?, UnsafePointer<UnsafeMutablePointer<Float>?>?) -> Int32
typealias GetConfigFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, Int) -> Int32
typealias DestroyFn = @convention(c) (UnsafeMutableRawPointer?) -> Void
public typealias CLossFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?,
                                           UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?,
                                           UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Int32
public typealias CLossTraceFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<Int64>?,
                                                Int32, UnsafePointer<Int64>?) -> Int32
public typealias CActivationFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<Float>?, Int64,
                                                 UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Int32
typealias AddWeightFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int32, UnsafePointer<Int64>?, UnsafePointer<CChar>?, Int32) -> Int32
typealias AddWeightExFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int32, UnsafePointer<Int64>?, UnsafePointer<CChar>?, Int32,
                                          UnsafePointer<CChar>?) -> Int32

/// A table the caller filled (keras_layer_class, keras_metric_class), read within its leading
/// `size_t struct_size`: a field past it (a table from an older header) reads as NULL; a larger
/// table (a newer header) is accepted when the bytes this library does not know are zero.
struct CallerTable {
    let raw: UnsafeRawPointer
    let size: Int

    /// Sizes beyond this are no struct_size. A table from a header before struct_size starts with
    /// its user_data pointer instead: NULL (refused as too small) or an address, and Linux maps
    /// nothing below vm.mmap_min_addr (65536 by default, never under 4096), so no address reads
    /// as a size up to this. 4096 bytes is 511 fields, far past any table keras.h will grow to.
    static let largest = 4096

    /// `fields`: how many pointer-sized fields follow struct_size in this library's header;
    /// `required`: how many of them a table must hold (its last required function's).
    init(_ raw: UnsafeRawPointer, _ type: String, fields: Int, required: Int) throws {
        let word = MemoryLayout<UnsafeRawPointer>.size
        let given = raw.load(as: UInt.self)
        let known = word * (1 + fields)
        let wanted = "set struct_size = sizeof(\(type)) (\(known) bytes in this library's keras.h)"
        guard given <= UInt(CallerTable.largest) else {
            throw ABIError(.invalidArgument, "\(type).struct_size is \(given), not a table's size: \(wanted); a table built "
                           + "with a keras.h from before struct_size starts with user_data and must be rebuilt")
        }
        let n = Int(given)
        guard n > 0 else {
            throw ABIError(.invalidArgument, "\(type).struct_size is 0: \(wanted) (a table built with a keras.h from "
                           + "before struct_size, whose user_data is NULL, reads so and must be rebuilt)")
        }
        guard n % word == 0, n >= word * (1 + required) else {
            throw ABIError(.invalidArgument, "\(type).struct_size is \(n): not a whole number of fields reaching its required "
                           + "functions (at least \(word * (1 + required)) bytes, a multiple of \(word)); \(wanted)")
        }
        if n > known, let set = (known..<n).first(where: { raw.load(fromByteOffset: $0, as: UInt8.self) != 0 }) {
            throw ABIError(.invalidArgument, "\(type).struct_size is \(n), from a newer keras.h than this library's (\(known) bytes), "
                           + "and the table sets a field this library does not know (at byte \(set - set % word))")
        }
        self.raw = raw
        size = n
    }

    /// The field at `offset` (a pointer-sized one), nil when the table stops before it.
    func load<T>(_ offset: Int, as: T?.Type) -> T? {
        offset + MemoryLayout<UnsafeRawPointer>.size <= size ? raw.load(fromByteOffset: offset, as: T?.self) : nil
    }
}

/// A copy of a keras_layer_class table.
struct LayerClassTable {
    let userData: UserData
    let create: CreateFn
    let build: BuildFn?
    let outputShape: OutputShapeFn?
    let forward: ForwardFn
    let backward: BackwardFn?
    let getConfig: GetConfigFn?
    let destroy: DestroyFn?
    /// The `module` of the saved entry (Keras writes a user's class's Python module).
    let module: String?

    /// Offsets: struct_size 0, user_data 8, create 16, build 24, output_shape 32, forward 40,
    /// backward 48, get_config 56, destroy 64, free_user_data 72, module 80.
    init(_ raw: UnsafeRawPointer) throws {
        let t = try CallerTable(raw, "keras_layer_class", fields: 10, required: 5)
        guard let create = t.load(16, as: CreateFn?.self) else { throw ABIError(.invalidArgument, "the layer class has no create function") }
        guard let forward = t.load(40, as: ForwardFn?.self) else { throw ABIError(.invalidArgument, "the layer class has no forward function") }
        self.create = create
        self.forward = forward
        build = t.load(24, as: BuildFn?.self)
        outputShape = t.load(32, as: OutputShapeFn?.self)
        backward = t.load(48, as: BackwardFn?.self)
        getConfig = t.load(56, as: GetConfigFn?.self)
        destroy = t.load(64, as: DestroyFn?.self)
        userData = UserData(t.load(8, as: UnsafeMutableRawPointer?.self), t.load(72, as: CFreeFn?.self))
        module = t.load(80, as: UnsafePointer<CChar>?.self).map { String(cString: $0) }
    }
}

/// The state of one plugin layer instance, destroyed with the layer.
final class PluginInstance: @unchecked Sendable {
    let table: LayerClassTable
    let state: UnsafeMutableRawPointer?
    init(_ table: LayerClassTable, _ state: UnsafeMutableRawPointer?) {
        self.table = table
        self.state = state
    }
    deinit { table.destroy?(state) }
}

/// Context behind a keras_layer_builder during build.
final class BuilderContext {
    let add: WeightAdder
    /// The op graph the layer's call may be traced into (keras_layer_builder_op and friends).
    let trace: OpGraph?
    /// What the plugin said of Keras's `supports_masking` (keras_layer_builder_set_supports_masking).
    var supportsMasking: Bool?
    var error: Error?
    init(_ add: WeightAdder) {
        self.add = add
        trace = OpGraph.current
    }
    /// The context of a function's graph (keras_graph_new): no layer, so add_weight is refused.
    /// The context of a loss's graph (keras_register_loss_graph): two inputs, no weights.
    init(loss graph: OpGraph) {
        add = WeightAdder { name, _, _, _, _, _, _ in
            throw ABIError(.state, "add_weight '\(name)': a loss's graph (keras_register_loss_graph) has no weights")
        }
        trace = graph
    }
    init(function graph: OpGraph) {
        add = WeightAdder { name, _, _, _, _, _, _ in
            throw ABIError(.state, "add_weight '\(name)': a function's graph (keras_graph_new) has arguments (keras_graph_argument), not weights")
        }
        trace = graph
    }
}

/// A keras_layer_builder struct: struct_size at offset 0, the context at 8, add_weight at 16,
/// add_weight_ex at 24.
func makeBuilder(_ ctx: BuilderContext) -> UnsafeMutableRawPointer {
    let size = 32
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
    raw.storeBytes(of: UInt(size), as: UInt.self)
    raw.storeBytes(of: Unmanaged.passRetained(ctx).toOpaque(), toByteOffset: 8, as: UnsafeMutableRawPointer.self)
    raw.storeBytes(of: addWeightThunk, toByteOffset: 16, as: AddWeightFn.self)
    raw.storeBytes(of: addWeightExThunk, toByteOffset: 24, as: AddWeightExFn.self)
    return raw
}

/// The context of a builder made by ``makeBuilder(_:)``, nil for NULL or a finished build.
func builderContext(_ builder: UnsafeMutableRawPointer?) -> BuilderContext? {
    guard let opaque = builder?.load(fromByteOffset: 8, as: UnsafeMutableRawPointer?.self) else { return nil }
    return Unmanaged<BuilderContext>.fromOpaque(opaque).takeUnretainedValue()
}

/// Releases the context of a builder made by ``makeBuilder(_:)`` and frees the struct.
func freeBuilder(_ raw: UnsafeMutableRawPointer) {
    if let opaque = raw.load(fromByteOffset: 8, as: UnsafeMutableRawPointer?.self) {
        Unmanaged<BuilderContext>.fromOpaque(opaque).release()
    }
    raw.deallocate()
}

private let addWeightThunk: AddWeightFn = { builder, name, ndim, shape, initializer, trainable in
    addWeight(builder, name, ndim, shape, initializer, trainable, nil, what: "add_weight")
}

private let addWeightExThunk: AddWeightExFn = { builder, name, ndim, shape, initializer, trainable, options in
    addWeight(builder, name, ndim, shape, initializer, trainable, options, what: "add_weight_ex")
}

/// keras_layer_builder's add_weight and add_weight_ex (`options`: {"regularizer", "constraint",
/// "dtype"}).
private func addWeight(_ builder: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?,
                       _ initializer: UnsafePointer<CChar>?, _ trainable: Int32, _ options: UnsafePointer<CChar>?, what: String) -> Int32 {
    guard let ctx = builderContext(builder) else {
        LastError.set("keras_layer_builder.\(what): the builder is NULL or no longer valid")
        return Status.invalidArgument.rawValue
    }
    let rc = guarded(what) {
        let n = try string(name, "name")
        // ndim 0: a scalar weight (Keras's `add_weight(shape=())`).
        let dims = ndim == 0 ? [] : try shapeArray(ndim, shape, "\(what) '\(n)'").shape
        let initName = try initializer.map { try string($0, "initializer") } ?? "glorot_uniform"
        let initJSON: JSON = initName.hasPrefix("{") ? try JSONParser.parse(initName) : .string(initName)
        let o = try Options(try json(options, "options_json", nullAs: .object([])), what: "\(what) '\(n)' options",
                            allowed: ["regularizer", "constraint", "dtype"])
        let regularizer = try o.json["regularizer"].flatMap { $0.isNull ? nil : try deserializeRegularizer($0) }
        let constraint = try o.json["constraint"].flatMap { $0.isNull ? nil : try deserializeConstraint($0) }
        let dtype = try o.json["dtype"].map { d -> VariableDType in
            // (int8 and uint8 are a quantized layer's weights, made by `quantize`, not a plugin's)
            let held = VariableDType.allCases.filter { $0 != .int8 && $0 != .uint8 }
            guard let name = d.stringValue, let t = VariableDType(keras: name), held.contains(t) else {
                throw ABIError(.invalidArgument, "\(what) '\(n)': dtype must be one of \(held.map(\.rawValue)) (the dtypes the library holds), got \(d)")
            }
            return t
        } ?? .float32
        try ctx.add(n, dims, try deserializeInitializer(initJSON), trainable != 0, regularizer, constraint, dtype: dtype)
    }
    if rc != 0, let p = LastError.pointer { CallbackMessage.set(p) }
    return rc
}

@_cdecl("keras_layer_builder_set_supports_masking")
public func keras_layer_builder_set_supports_masking(_ builder: UnsafeMutableRawPointer?, _ supports: Int32) -> Int32 {
    guarded("keras_layer_builder_set_supports_masking") {
        guard let ctx = builderContext(builder) else {
            throw ABIError(.invalidArgument, "the builder is NULL or no longer valid (only valid inside build)")
        }
        ctx.supportsMasking = supports != 0
    }
}

/// The CallbackLayer its functions belong to (made after them): build sets its `supportsMasking`.
private final class LayerRef {
    weak var layer: Layer?
}

private func cShape(_ shape: [Int?]) -> [Int64] { shape.map { Int64($0 ?? -1) } }

/// The functions of a CallbackLayer, calling the C table.
private func layerFunctions(_ inst: PluginInstance, className: String, of owner: LayerRef) -> CallbackLayerFunctions {
    let t = inst.table
    let what = "layer \(className)"
    var f = CallbackLayerFunctions { x, weights, training, out in
        let ptrs: [UnsafePointer<Float>?] = weights.map { UnsafePointer($0.data) }
        let shape = x.shape.map(Int64.init)
        try CallbackMessage.check("\(what): forward") {
            ptrs.withUnsafeBufferPointer { wp in
                shape.withUnsafeBufferPointer { sp in
                    t.forward(inst.state, x.data, Int32(shape.count), sp.baseAddress, wp.baseAddress, Int32(ptrs.count), out.data, training ? 1 : 0)
                }
            }
        }
    }
    if let build = t.build {
        f.build = { inputShape, add in
            let ctx = BuilderContext(add)
            let raw = makeBuilder(ctx)
            defer { freeBuilder(raw) }
            let shape = cShape(inputShape)
            try CallbackMessage.check("\(what): build") {
                shape.withUnsafeBufferPointer { build(inst.state, raw, Int32(shape.count), $0.baseAddress) }
            }
            if let masking = ctx.supportsMasking { owner.layer?.supportsMasking = masking }
        }
    }
    if let outputShape = t.outputShape {
        f.outputShape = { inputShape in
            let shape = cShape(inputShape)
            var out = [Int64](repeating: 0, count: maxRank)
            var ndim: Int32 = -1
            try CallbackMessage.check("\(what): output_shape") {
                shape.withUnsafeBufferPointer { sp in out.withUnsafeMutableBufferPointer { op in
                    outputShape(inst.state, Int32(shape.count), sp.baseAddress, &ndim, op.baseAddress)
                } }
            }
            guard ndim >= 1 && Int(ndim) <= maxRank else {
                throw KerasError.callbackFailed("\(what): output_shape gave rank \(ndim), expected 1...\(maxRank)")
            }
            return try out.prefix(Int(ndim)).map { d in
                guard d >= -1 && d <= Int64(Int32.max) else { throw KerasError.callbackFailed("\(what): output_shape gave dimension \(d)") }
                return d < 0 ? nil : Int(d)
            }
        }
    }
    if let backward = t.backward {
        f.backward = { x, weights, dy, dx, dws in
            let wp: [UnsafePointer<Float>?] = weights.map { UnsafePointer($0.data) }
            let dwp: [UnsafeMutablePointer<Float>?] = dws.map { $0.data }
            let shape = x.shape.map(Int64.init)
            try CallbackMessage.check("\(what): backward") {
                wp.withUnsafeBufferPointer { w in dwp.withUnsafeBufferPointer { d in shape.withUnsafeBufferPointer { s in
                    backward(inst.state, x.data, Int32(shape.count), s.baseAddress, w.baseAddress, Int32(wp.count), dy.data, dx.data, d.baseAddress)
                } } }
            }
        }
    }
    if let getConfig = t.getConfig {
        f.config = {
            var buf = [CChar](repeating: 0, count: 1 << 16)
            try CallbackMessage.check("\(what): get_config") { buf.withUnsafeMutableBufferPointer { getConfig(inst.state, $0.baseAddress, $0.count) } }
            buf[buf.count - 1] = 0
            return try JSONParser.parse(String(cString: buf))
        }
    }
    return f
}

/// Where a registration goes: the calling thread's innermost open scope, else the global registry.
func register(_ name: String, _ object: KerasObject) {
    if !CustomObjectScope.registerInInnermost(name, object) { ObjectRegistry.register(name, object) }
}

func bareName(_ name: String) -> String { String(name.split(separator: ">").last ?? Substring(name)) }

/// The name a loss or metric function registered as `registered` is written with: the one its
/// config's entry gave, where that entry found it by its module (`module>name` registered, `name`
/// written, as Keras writes a function: ObjectRegistry.lookupFunction); else its registered name.
func writtenName(_ registered: String, _ config: JSON) -> String {
    guard let given = config.stringValue, registered.hasSuffix(">" + given) else { return registered }
    return given
}

@_cdecl("keras_register_layer")
public func keras_register_layer(_ name: UnsafePointer<CChar>?, _ cls: UnsafeRawPointer?) -> Int32 {
    guarded("keras_register_layer") {
        let n = try string(name, "name")
        guard !n.isEmpty else { throw ABIError(.invalidArgument, "name must not be empty") }
        guard let cls else { throw ABIError(.invalidArgument, "cls must not be NULL") }
        let table = try LayerClassTable(cls)
        let className = bareName(n)
        // A class used but not registered comes under its module's key: outside any scope (its
        // models outlive them), found only by an entry of its module (no bare name finds it),
        // written with its bare name as Keras writes it.
        let qualified = n == ObjectRegistry.moduleQualifiedName(module: table.module, className: className)
        let object = KerasObject.layer { config in
            let text = config.json.description
            var state: UnsafeMutableRawPointer?
            try CallbackMessage.check("layer \(className): create") { text.withCString { table.create(table.userData.pointer, $0, &state) } }
            let inst = PluginInstance(table, state)
            let owner = LayerRef()
            let layer = CallbackLayer(className: className, functions: layerFunctions(inst, className: className, of: owner),
                                      name: config.name, registeredName: qualified ? className : n, module: table.module)
            owner.layer = layer
            try config.applyCommon(to: layer)
            return layer
        }
        if qualified { ObjectRegistry.register(n, object, byBareName: false) } else { register(n, object) }
    }
}

/// Per-sample values (and the gradient) of a C loss function.
private func callLoss(_ fn: CLossFn, _ ud: UserData, _ what: String, _ yTrue: Tensor, _ yPred: Tensor, grad: Tensor?) throws -> Tensor {
    guard let batch = yPred.shape.first, yTrue.shape.first == batch else {
        throw KerasError.shapeMismatch("\(what): y_true \(yTrue.shape) and y_pred \(yPred.shape) need the same number of samples")
    }
    let per = Tensor(shape: [batch])
    let ts = yTrue.shape.map(Int64.init), ps = yPred.shape.map(Int64.init)
    try CallbackMessage.check(what) {
        ts.withUnsafeBufferPointer { t in ps.withUnsafeBufferPointer { p in
            fn(ud.pointer, yTrue.data, Int32(ts.count), t.baseAddress, yPred.data, Int32(ps.count), p.baseAddress, per.data, grad?.data)
        } }
    }
    return per
}

/// A Keras loss computed by a C function that also gives d(per-sample)/d(y_pred).
final class CFunctionLoss: Loss, @unchecked Sendable {
    let fn: CLossFn
    let ud: UserData
    let registered: String
    init(name: String, fn: CLossFn, ud: UserData) {
        self.fn = fn
        self.ud = ud
        self.registered = name
        super.init(name: bareName(name))
    }
    override var className: String { bareName(registered) }
    /// A C (or Python) loss is a function: Keras writes it by its registered name.
    override var functionName: String? { registered }
    override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        let grad = yPred.isRecorded ? Tensor(shape: yPred.shape) : nil
        let per = try callLoss(fn, ud, "loss '\(name)'", yTrue.detached, yPred.detached, grad: grad)
        guard let grad else { return per }
        return try Ops.customGradient(per, input: yPred) { upstream in
            // d loss / d y_pred[i, ...] = upstream[i] * grad[i, ...]
            let rows = per.count, cols = grad.count / Swift.max(rows, 1)
            let out = Tensor(shape: grad.shape)
            for i in 0..<rows { for j in 0..<cols { out.data[i * cols + j] = upstream.data[i] * grad.data[i * cols + j] } }
            return out
        }
    }
}

@_cdecl("keras_register_loss")
public func keras_register_loss(_ name: UnsafePointer<CChar>?, _ fn: CLossFn?, _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_loss") {
        let n = try string(name, "name")
        guard let fn else { throw ABIError(.invalidArgument, "fn must not be NULL") }
        let ud = UserData(userData, free)
        register(n, .loss { config in CFunctionLoss(name: writtenName(n, config), fn: fn, ud: ud) })
    }
}

@_cdecl("keras_register_loss_graph")
public func keras_register_loss_graph(_ name: UnsafePointer<CChar>?, _ traceFn: CLossTraceFn?, _ fn: CLossFn?,
                                      _ options: UnsafePointer<CChar>?, _ userData: UnsafeMutableRawPointer?,
                                      _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_loss_graph") {
        let n = try string(name, "name")
        guard !n.isEmpty else { throw ABIError(.invalidArgument, "name must not be empty") }
        guard let traceFn else { throw ABIError(.invalidArgument, "trace must not be NULL") }
        let o = try Options(try json(options, "options_json", nullAs: .object([])),
                            what: "keras_register_loss_graph '\(n)' options", allowed: ["reduction"])
        let reduction = try o.json["reduction"].map { r -> Loss.Reduction in
            guard let text = r.stringValue, let value = Loss.Reduction(rawValue: text) else {
                throw ABIError(.invalidArgument, "keras_register_loss_graph '\(n)': reduction must be one of \(Loss.Reduction.allCases.map(\.rawValue).joined(separator: ", ")), got \(r)")
            }
            return value
        } ?? .sumOverBatchSize
        let ud = UserData(userData, free)
        let short = bareName(n)
        register(n, .loss { config in
            let written = writtenName(n, config)
            return GraphLoss(name: short, registeredName: written, reduction: reduction,
                             fallback: fn.map { CFunctionLoss(name: written, fn: $0, ud: ud) }) { graph, trueShape, predShape in
                let raw = makeBuilder(BuilderContext(loss: graph))
                defer { freeBuilder(raw) }
                let ts = trueShape.map { Int64($0 ?? -1) }, ps = predShape.map { Int64($0 ?? -1) }
                try CallbackMessage.check("loss '\(short)': trace") {
                    ts.withUnsafeBufferPointer { t in ps.withUnsafeBufferPointer { p in
                        traceFn(ud.pointer, raw, Int32(ts.count), t.baseAddress, Int32(ps.count), p.baseAddress)
                    } }
                }
            }
        })
    }
}

/// A C metric, saved in compile configs under its registered name so that loading finds it again.
final class CFunctionMetric: MeanMetricWrapper, @unchecked Sendable {
    private let registered: String
    init(name: String, registered: String, _ fn: @escaping (Tensor, Tensor) throws -> Tensor) {
        self.registered = registered
        super.init(name: name, direction: nil, fn)
    }
    override var className: String { bareName(registered) }
    /// A C (or Python) metric is a function: Keras writes it by its registered name.
    override var functionName: String? { registered }
}

@_cdecl("keras_register_metric")
public func keras_register_metric(_ name: UnsafePointer<CChar>?, _ fn: CLossFn?, _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_metric") {
        let n = try string(name, "name")
        guard let fn else { throw ABIError(.invalidArgument, "fn must not be NULL") }
        let ud = UserData(userData, free)
        let short = bareName(n)
        register(n, .metric { config in
            CFunctionMetric(name: short, registered: writtenName(n, config)) { yTrue, yPred in
                try callLoss(fn, ud, "metric '\(short)'", yTrue.detached, yPred.detached, grad: nil)
            }
        })
    }
}

@_cdecl("keras_register_activation")
public func keras_register_activation(_ name: UnsafePointer<CChar>?, _ fn: CActivationFn?, _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_activation") {
        let n = try string(name, "name")
        guard let fn else { throw ABIError(.invalidArgument, "fn must not be NULL") }
        let ud = UserData(userData, free)
        let short = bareName(n)
        register(n, .activation(ActivationFunction(name: short) { x in
            let y = Tensor(shape: x.shape), d = Tensor(shape: x.shape)
            let src = x.detached
            try CallbackMessage.check("activation '\(short)'") { fn(ud.pointer, src.data, Int64(src.count), y.data, d.data) }
            guard x.isRecorded else { return y }
            return try Ops.customGradient(y, input: x) { upstream in
                let g = Tensor(shape: x.shape)
                for i in 0..<g.count { g.data[i] = upstream.data[i] * d.data[i] }
                return g
            }
        }))
    }
}

@_cdecl("keras_register_callback")
public func keras_register_callback(_ name: UnsafePointer<CChar>?, _ fn: CCallbackFn?, _ userData: UnsafeMutableRawPointer?, _ free: CFreeFn?) -> Int32 {
    guarded("keras_register_callback") {
        let n = try string(name, "name")
        guard let fn else { throw ABIError(.invalidArgument, "fn must not be NULL") }
        let ud = UserData(userData, free)
        register(n, .callback { _ in CFunctionCallback(name: bareName(n), fn: fn, userData: ud) })
    }
}

@_cdecl("keras_callback_from_registry")
public func keras_callback_from_registry(_ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("keras_callback_from_registry") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        let n = try string(name, "name")
        guard case .callback(let make)? = ObjectRegistry.lookupCustom(.callback, n) else {
            throw ABIError(.unknownName, "no callback class '\(n)' is registered (globally or in an open scope of this thread)")
        }
        out.pointee = Handles.make(CallbackBox { try make(.object([])) }, kind: "keras_callback")
    }
}

@_cdecl("keras_scope_push")
public func keras_scope_push() -> Int32 {
    guarded("keras_scope_push") { CustomObjectScope.push() }
}

@_cdecl("keras_scope_pop")
public func keras_scope_pop() -> Int32 {
    guarded("keras_scope_pop") { try CustomObjectScope.pop() }
}

/// The registrar handed to plugins: keras_plugin_registrar at its LP64 offsets, made once.
enum PluginRegistrar {
    nonisolated(unsafe) static let table: UnsafeMutableRawPointer = {
        let size = 112
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        raw.storeBytes(of: UInt(size), as: UInt.self)   // struct_size
        typealias Reg = @convention(c) (UnsafePointer<CChar>?, UnsafeRawPointer?) -> Int32
        typealias RegLoss = @convention(c) (UnsafePointer<CChar>?, CLossFn?, UnsafeMutableRawPointer?, CFreeFn?) -> Int32
        typealias RegAct = @convention(c) (UnsafePointer<CChar>?, CActivationFn?, UnsafeMutableRawPointer?, CFreeFn?) -> Int32
        typealias RegCb = @convention(c) (UnsafePointer<CChar>?, CCallbackFn?, UnsafeMutableRawPointer?, CFreeFn?) -> Int32
        typealias ErrFn = @convention(c) (UnsafePointer<CChar>?) -> Void
        // Closures rather than the @_cdecl functions themselves: converting those to C function
        // pointers would emit a second definition of their symbols.
        let layer: Reg = { keras_register_layer($0, $1) }
        let loss: RegLoss = { keras_register_loss($0, $1, $2, $3) }
        let metric: RegLoss = { keras_register_metric($0, $1, $2, $3) }
        let activation: RegAct = { keras_register_activation($0, $1, $2, $3) }
        let callback: RegCb = { keras_register_callback($0, $1, $2, $3) }
        let error: ErrFn = { CallbackMessage.set($0) }
        let metricClass: Reg = { keras_register_metric_class($0, $1) }
        raw.storeBytes(of: layer, toByteOffset: 8, as: Reg.self)
        raw.storeBytes(of: loss, toByteOffset: 16, as: RegLoss.self)
        raw.storeBytes(of: metric, toByteOffset: 24, as: RegLoss.self)
        raw.storeBytes(of: activation, toByteOffset: 32, as: RegAct.self)
        raw.storeBytes(of: callback, toByteOffset: 40, as: RegCb.self)
        raw.storeBytes(of: error, toByteOffset: 48, as: ErrFn.self)
        raw.storeBytes(of: metricClass, toByteOffset: 56, as: Reg.self)
        // A graph loss and the builder calls its trace makes (added after register_metric_class).
        typealias RegLossGraph = @convention(c) (UnsafePointer<CChar>?, CLossTraceFn?, CLossFn?, UnsafePointer<CChar>?,
                                                 UnsafeMutableRawPointer?, CFreeFn?) -> Int32
        typealias InputAt = @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int64>?) -> Int32
        typealias Constant = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?,
                                             UnsafeMutablePointer<Int64>?) -> Int32
        typealias OpFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int32, UnsafePointer<Int64>?,
                                         UnsafePointer<CChar>?, UnsafeMutablePointer<Int64>?) -> Int32
        typealias ShapeFn = @convention(c) (UnsafeMutableRawPointer?, Int64, UnsafeMutablePointer<Int32>?,
                                            UnsafeMutablePointer<Int64>?) -> Int32
        typealias OutputFn = @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int32
        let lossGraph: RegLossGraph = { keras_register_loss_graph($0, $1, $2, $3, $4, $5) }
        let inputAt: InputAt = { keras_layer_builder_input_at($0, $1, $2) }
        let constant: Constant = { keras_layer_builder_constant($0, $1, $2, $3, $4) }
        let op: OpFn = { keras_layer_builder_op($0, $1, $2, $3, $4, $5) }
        let shape: ShapeFn = { keras_layer_builder_shape($0, $1, $2, $3) }
        let output: OutputFn = { keras_layer_builder_output($0, $1, $2) }
        raw.storeBytes(of: lossGraph, toByteOffset: 64, as: RegLossGraph.self)
        raw.storeBytes(of: inputAt, toByteOffset: 72, as: InputAt.self)
        raw.storeBytes(of: constant, toByteOffset: 80, as: Constant.self)
        raw.storeBytes(of: op, toByteOffset: 88, as: OpFn.self)
        raw.storeBytes(of: shape, toByteOffset: 96, as: ShapeFn.self)
        raw.storeBytes(of: output, toByteOffset: 104, as: OutputFn.self)
        return raw
    }()
}

/// Forgets a registration: from the innermost scope of the calling thread that holds it, else
/// from the global registry.
@_cdecl("keras_unregister")
public func keras_unregister(_ kind: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_unregister") {
        let k = try string(kind, "kind")
        let n = try string(name, "name")
        guard let family = KerasObjectKind(rawValue: k) else {
            throw ABIError(.invalidArgument, "unknown kind '\(k)': one of \(KerasObjectKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if CustomObjectScope.removeFromScopes(family, n) { return }
        guard ObjectRegistry.isRegistered(n, kind: family) else {
            throw ABIError(.unknownName, "no \(k) is registered as '\(n)' (in this thread's scopes or globally)")
        }
        ObjectRegistry.unregister(n, kind: family)
    }
}

@_cdecl("keras_load_plugin")
public func keras_load_plugin(_ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("keras_load_plugin") {
        let p = try string(path, "path")
        guard let lib = dlopen(p, RTLD_NOW | RTLD_LOCAL) else {
            throw ABIError(.io, "cannot load plugin '\(p)': \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        }
        guard let sym = dlsym(lib, "keras_plugin_init") else {
            dlclose(lib)
            throw ABIError(.io, "plugin '\(p)' does not export keras_plugin_init")
        }
        typealias InitFn = @convention(c) (UnsafeRawPointer?) -> Int32
        let initFn = unsafeBitCast(sym, to: InitFn.self)
        try CallbackMessage.check("plugin '\(p)': keras_plugin_init") { initFn(PluginRegistrar.table) }
    }
}
