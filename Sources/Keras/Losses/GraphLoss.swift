import Foundation

/// A loss whose `call` is a composition of the library's ops, traced once into an ``OpGraph``
/// for each pair of target and prediction shapes it meets (the batch left unknown), then run
/// natively at every step with gradients from the library's autodiff: a loss written in C or
/// Python with `keras.ops` (Keras: a loss function, or a `Loss` subclass's `call`). The graph
/// gives what `call` gives, the per-sample values or a scalar; they are weighted and reduced as
/// every loss's are (``LossReduction``). A trace that sets no output means the loss cannot be
/// traced for those shapes: the `fallback` loss (values from a callback) computes it instead.
public final class GraphLoss: Loss, @unchecked Sendable {
    /// Traces the loss into `graph`: input 0 is `y_true`, input 1 is `y_pred` (shapes with nil
    /// for the batch); sets the graph's output, or none when the loss cannot be traced.
    public typealias Tracer = (_ graph: OpGraph, _ trueShape: [Int?], _ predShape: [Int?]) throws -> Void

    private let tracer: Tracer
    private let fallback: Loss?
    private let registered: String
    private let lock = NSLock()
    /// One entry per traced pair of shapes (without the batch): the graph, or nil (untraceable).
    private var graphs: [[[Int]]: OpGraph?] = [:]

    /// `registeredName` is the name configs give it ("Package>name"), `name` its bare name.
    public init(name: String, registeredName: String, reduction: Reduction = .sumOverBatchSize, fallback: Loss?,
                tracer: @escaping Tracer) {
        self.tracer = tracer
        self.fallback = fallback
        self.registered = registeredName
        super.init(name: name, reduction: reduction)
    }

    public override var className: String { name }
    /// Saved as Keras writes a registered function: by its registered name.
    public override var functionName: String? { registered }

    /// Whether the loss runs as a traced graph for targets and predictions of these shapes
    /// (the batch first); traces it if it was not yet.
    public func isTraced(trueShape: [Int], predShape: [Int]) throws -> Bool {
        try graph(trueShape, predShape) != nil
    }

    public override func perSample(_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor {
        guard let graph = try graph(yTrue.shape, yPred.shape) else {
            guard let fallback else {
                throw KerasError.invalidArgument("Loss '\(name)' could not be traced into the library's op graph for y_true of shape \(formatShape(yTrue.shape)) and y_pred of shape \(formatShape(yPred.shape)), and has no function to compute it otherwise")
            }
            return try fallback.perSample(yTrue, yPred)
        }
        let run = try graph.runAll([yTrue.detached, yPred], masks: nil, weights: [], training: yPred.isRecorded)
        guard let values = run.outputs.first else {
            throw KerasError.invalidState("Loss '\(name)': its traced graph gave no value")
        }
        return values
    }

    private func graph(_ trueShape: [Int], _ predShape: [Int]) throws -> OpGraph? {
        guard !trueShape.isEmpty, !predShape.isEmpty else {
            throw KerasError.shapeMismatch("Loss '\(name)': y_true \(formatShape(trueShape)) and y_pred \(formatShape(predShape)) need a batch axis")
        }
        let key = [Array(trueShape.dropFirst()), Array(predShape.dropFirst())]
        lock.lock()
        defer { lock.unlock() }
        if let known = graphs[key] { return known }
        let shapes: [[Int?]] = key.map { [nil] + $0.map { Optional($0) } }
        let graph = OpGraph.separateInputs(shapes) { [name] i in
            throw KerasError.invalidArgument("Loss '\(name)': a loss's graph has no weights (asked for weight \(i))")
        }
        try tracer(graph, shapes[0], shapes[1])
        guard graph.isComplete else {
            graphs[key] = .some(nil)
            return nil
        }
        graph.finish()
        let out = graph.outputShape
        guard out.isEmpty || out.first == .some(nil) else {
            throw KerasError.shapeMismatch("Loss '\(name)': its call must give one value per sample (the batch first) or a scalar, got shape \(formatShape(out))")
        }
        graphs[key] = graph
        return graph
    }
}
