import Keras

// Stateful metric classes written in C (or Python through ctypes): Keras's `keras.metrics.Metric`
// subclass, with update_state / result / reset_state called by the library's own training loop.
// The keras_metric_class table is read at its LP64 offsets, as laid out by include/keras.h.

typealias MetricUpdateFn = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?,
                                           UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?,
                                           UnsafePointer<Float>?, Int32, UnsafePointer<Int64>?) -> Int32
typealias MetricResultFn = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<Float>?) -> Int32
typealias MetricResetFn = @convention(c) (UnsafeMutableRawPointer?) -> Int32

/// A copy of a keras_metric_class table.
struct MetricClassTable {
    let userData: UserData
    let create: CreateFn
    let update: MetricUpdateFn
    let result: MetricResultFn?
    let reset: MetricResetFn
    let getConfig: GetConfigFn?
    /// The figure as JSON (a number, one value per class, or a dict of figures), read instead
    /// of `result` when set.
    let resultJSON: GetConfigFn?
    let destroy: DestroyFn?
    /// The `module` of the compile config's entry (Keras writes a custom class's Python module).
    let module: String?

    /// Offsets: struct_size 0, user_data 8, create 16, update_state 24, result 32, reset_state 40,
    /// get_config 48, destroy 56, free_user_data 64, module 72, result_json 80.
    init(_ raw: UnsafeRawPointer) throws {
        let t = try CallerTable(raw, "keras_metric_class", fields: 10, required: 5)
        func required<F>(_ offset: Int, _ name: String, _: F.Type) throws -> F {
            guard let f = t.load(offset, as: Optional<F>.self) else {
                throw ABIError(.invalidArgument, "the metric class has no \(name) function")
            }
            return f
        }
        create = try required(16, "create", CreateFn.self)
        update = try required(24, "update_state", MetricUpdateFn.self)
        resultJSON = t.load(80, as: GetConfigFn?.self)
        result = t.load(32, as: MetricResultFn?.self)
        guard result != nil || resultJSON != nil else {
            throw ABIError(.invalidArgument, "the metric class has no result function (nor result_json)")
        }
        reset = try required(40, "reset_state", MetricResetFn.self)
        getConfig = t.load(48, as: GetConfigFn?.self)
        destroy = t.load(56, as: DestroyFn?.self)
        module = t.load(72, as: UnsafePointer<CChar>?.self).map { String(cString: $0) }
        userData = UserData(t.load(8, as: UnsafeMutableRawPointer?.self), t.load(64, as: CFreeFn?.self))
    }
}

/// One instance of a registered metric class: its state, destroyed with the metric.
final class CMetric: Metric, @unchecked Sendable {
    private let table: MetricClassTable
    private let state: UnsafeMutableRawPointer?
    private let registered: String
    private let savedConfig: JSON

    /// Makes the instance from its config (`{}` for a compile spec naming the class), then reads
    /// its config once: Keras's get_config gives the constructor's arguments, fixed from then on.
    init(_ table: MetricClassTable, registered: String, config: JSON) throws {
        let className = bareName(registered)
        var state: UnsafeMutableRawPointer?
        let text = config.description
        try CallbackMessage.check("metric \(className): create") { text.withCString { table.create(table.userData.pointer, $0, &state) } }
        self.table = table
        self.state = state
        self.registered = registered
        var own = config
        if let getConfig = table.getConfig {
            do {
                own = try CMetric.json(from: getConfig, state, "metric \(className): get_config")
            } catch {
                table.destroy?(state)
                throw error
            }
        }
        savedConfig = own.objectValue == nil ? ["name": .string(className), "dtype": "float32"] : own
        super.init(name: savedConfig["name"]?.stringValue ?? className)
    }

    deinit { table.destroy?(state) }

    override var className: String { bareName(registered) }
    override var module: String? { table.module }
    /// Keras writes no registered name for its own classes (a class whose module is Keras's,
    /// as Python's MeanMetricWrapper of a Python function).
    override var registeredName: String? { module?.hasPrefix("keras.") == true ? nil : registered }
    override var config: JSON { savedConfig }

    override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        readFigures = nil
        let ts = yTrue.shape.map(Int64.init), ps = yPred.shape.map(Int64.init)
        let ws = sampleWeight.map { $0.shape.map(Int64.init) } ?? []
        try CallbackMessage.check("metric '\(name)': update_state") {
            ts.withUnsafeBufferPointer { t in ps.withUnsafeBufferPointer { p in ws.withUnsafeBufferPointer { w in
                table.update(state, yTrue.data, Int32(ts.count), t.baseAddress, yPred.data, Int32(ps.count), p.baseAddress,
                             sampleWeight.map { UnsafePointer($0.data) }, Int32(ws.count), w.baseAddress)
            } } }
        }
    }

    /// The JSON a table function writes into a buffer of 64 KiB.
    private static func json(from fn: GetConfigFn, _ state: UnsafeMutableRawPointer?, _ label: String) throws -> JSON {
        var buf = [CChar](repeating: 0, count: 1 << 16)
        try CallbackMessage.check(label) { buf.withUnsafeMutableBufferPointer { fn(state, $0.baseAddress, $0.count) } }
        buf[buf.count - 1] = 0
        return try JSONParser.parse(String(cString: buf))
    }

    override func result() throws -> Float {
        guard let fn = table.result else { return try figures().first?.value ?? 0 }
        var value: Float = 0
        try CallbackMessage.check("metric '\(name)': result") { fn(state, &value) }
        return value
    }

    /// result_json's figure: a number, one value per class (logged as their mean), or a dict
    /// whose every key is a figure of its own.
    /// Read once per state (the logs and the per-class values of one read ask for it twice).
    override func figures() throws -> [MetricFigure] {
        guard let fn = table.resultJSON else { return try super.figures() }
        if let read = readFigures { return read }
        let value = try CMetric.json(from: fn, state, "metric '\(name)': result_json")
        let read = try value.objectValue.map { entries in try entries.map { key, v in try figure(key, v) } }
            ?? [try figure(name, value)]
        readFigures = read
        return read
    }

    /// result_json's figures since the last update_state or reset_state.
    private var readFigures: [MetricFigure]?

    /// (null stands for a value that is not finite, which JSON cannot write.)
    private func figure(_ key: String, _ value: JSON) throws -> MetricFigure {
        if let v = value.doubleValue { return MetricFigure(key: key, value: Float(v)) }
        if value.isNull { return MetricFigure(key: key, value: .nan) }
        if let items = value.arrayValue {
            let values = try items.map { item -> Float in
                if item.isNull { return .nan }
                guard let v = item.doubleValue else {
                    throw KerasError.callbackFailed("metric '\(name)': result_json: '\(key)' holds \(item), not a number")
                }
                return Float(v)
            }
            if values.count == 1 { return MetricFigure(key: key, value: values[0]) }
            guard !values.isEmpty else { throw KerasError.callbackFailed("metric '\(name)': result_json: '\(key)' is empty") }
            return MetricFigure(key: key, value: values.reduce(0, +) / Float(values.count), perClass: values)
        }
        throw KerasError.callbackFailed("metric '\(name)': result_json: '\(key)' is \(value): a number, an array of numbers "
                                       + "or an object of them was expected")
    }

    override func reset() throws {
        readFigures = nil
        try CallbackMessage.check("metric '\(name)': reset_state") { table.reset(state) }
    }
}

@_cdecl("keras_register_metric_class")
public func keras_register_metric_class(_ name: UnsafePointer<CChar>?, _ cls: UnsafeRawPointer?) -> Int32 {
    guarded("keras_register_metric_class") {
        let n = try string(name, "name")
        guard !n.isEmpty else { throw ABIError(.invalidArgument, "name must not be empty") }
        guard let cls else { throw ABIError(.invalidArgument, "cls must not be NULL") }
        let table = try MetricClassTable(cls)
        // A class used but not registered comes under its module's key (global, found only by an
        // entry of its module, written with its bare name), as a layer class does: keras_register_layer.
        let qualified = n == ObjectRegistry.moduleQualifiedName(module: table.module, className: bareName(n))
        let object = KerasObject.metric { config in try CMetric(table, registered: qualified ? bareName(n) : n, config: config) }
        if qualified { ObjectRegistry.register(n, object, byBareName: false) } else { register(n, object) }
    }
}
