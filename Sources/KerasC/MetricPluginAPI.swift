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
    let result: MetricResultFn
    let reset: MetricResetFn
    let getConfig: GetConfigFn?
    let destroy: DestroyFn?
    /// The `module` of the compile config's entry (Keras writes a custom class's Python module).
    let module: String?

    init(_ raw: UnsafeRawPointer) throws {
        func required<F>(_ offset: Int, _ name: String, _: F.Type) throws -> F {
            guard let f = raw.load(fromByteOffset: offset, as: Optional<F>.self) else {
                throw ABIError(.invalidArgument, "the metric class has no \(name) function")
            }
            return f
        }
        create = try required(8, "create", CreateFn.self)
        update = try required(16, "update_state", MetricUpdateFn.self)
        result = try required(24, "result", MetricResultFn.self)
        reset = try required(32, "reset_state", MetricResetFn.self)
        getConfig = raw.load(fromByteOffset: 40, as: GetConfigFn?.self)
        destroy = raw.load(fromByteOffset: 48, as: DestroyFn?.self)
        module = raw.load(fromByteOffset: 64, as: UnsafePointer<CChar>?.self).map { String(cString: $0) }
        userData = UserData(raw.load(fromByteOffset: 0, as: UnsafeMutableRawPointer?.self),
                            raw.load(fromByteOffset: 56, as: CFreeFn?.self))
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
            var buf = [CChar](repeating: 0, count: 1 << 16)
            do {
                try CallbackMessage.check("metric \(className): get_config") {
                    buf.withUnsafeMutableBufferPointer { getConfig(state, $0.baseAddress, $0.count) }
                }
                buf[buf.count - 1] = 0
                own = try JSONParser.parse(String(cString: buf))
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
    override var registeredName: String? { registered }
    override var config: JSON { savedConfig }

    override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
        let ts = yTrue.shape.map(Int64.init), ps = yPred.shape.map(Int64.init)
        let ws = sampleWeight.map { $0.shape.map(Int64.init) } ?? []
        try CallbackMessage.check("metric '\(name)': update_state") {
            ts.withUnsafeBufferPointer { t in ps.withUnsafeBufferPointer { p in ws.withUnsafeBufferPointer { w in
                table.update(state, yTrue.data, Int32(ts.count), t.baseAddress, yPred.data, Int32(ps.count), p.baseAddress,
                             sampleWeight.map { UnsafePointer($0.data) }, Int32(ws.count), w.baseAddress)
            } } }
        }
    }

    override func result() throws -> Float {
        var value: Float = 0
        try CallbackMessage.check("metric '\(name)': result") { table.result(state, &value) }
        return value
    }

    override func reset() throws {
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
        register(n, .metric { config in try CMetric(table, registered: n, config: config) })
    }
}
