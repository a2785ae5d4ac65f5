/// A training step of a model's ``PlanLayers`` (a `Sequential`'s layers or a functional chain's,
/// ``Model/planChain(_:inputs:outputs:)``: a ``DenseStack``, its BatchNormalization stages run by
/// ``BatchNormStage``, optionally after a ``PlanFront``: a ``PooledConvFront``, a
/// ``RecurrentFront`` or an ``AttentionFront``)
/// with Keras's categorical or sparse categorical cross-entropy after a softmax, or its mean
/// squared error without one, planned once per batch size: every activation and gradient has
/// its buffer from the first step on, the backward is the fixed reverse of the layers, and the
/// step runs the kernels that the tape would run, in the tape's order, so that weights, loss
/// and metrics are bit-identical to the general ``Model/trainStep(_:_:_:_:)``. Test steps
/// (validation, `evaluate`) with sparse labels or mean squared error run its forward and loss
/// (``test(_:_:_:_:)``). A warm step allocates nothing (`AllocationFreeStepTests`). Anything
/// else a step may involve (sample weights, regularizers, frozen layers, loss scaling, other
/// losses) takes the general path.
final class StepPlan {
    let layers: PlanLayers
    let stack: DenseStack
    let rows: Int
    /// The losses a plan computes.
    enum LossKind { case categorical, sparseCategorical, meanSquared }
    private let lossKind: LossKind
    private var sparse: Bool { lossKind == .sparseCategorical }
    private let classes: Int
    /// The layers before the Dense stack, on this plan's batches.
    private let front: PlanFrontStage?
    /// Per stage: its BatchNormalization's buffers, if it is one; whether there are any.
    private let norms: [BatchNormStage?]
    private let normalizes: Bool
    /// The model's trainable weights in Keras's order, and their gradients.
    private let variables: [Variable]
    private let gradients: [Tensor]
    /// Per stage: its output, and (after the first stage, or after a front) the gradient of its input.
    private let outputs: [Tensor]
    private let inputGradients: [Tensor?]
    /// Per stage with a nonlinear fused activation: the pre-activation gradient.
    private let activationGradients: [Tensor?]
    /// Per Dense stage: the indices of its kernel and bias in `variables`.
    private let kernelIndex: [Int]
    private let biasIndex: [Int]
    private let probabilities: Tensor
    private let logitsGradient: Tensor
    private let values: Tensor
    private let upstream: Tensor
    /// The prediction and per-output loss handed to the metrics, kept between steps.
    private let predictions: [Tensor]
    private var perOutput: [Double] = [0]

    /// The plan for `model` and batches shaped as `x` (which its ``PlanLayers`` accept), or nil
    /// when its step is not of this shape.
    init?(_ model: Model, _ c: CompiledState, x: Tensor) {
        guard let layers = model.planLayers, layers.accepts(x), c.losses.count == 1, let loss = c.losses[0],
              c.lossWeights.allSatisfy({ $0 == 1 }) else { return nil }
        let rows = x.shape[0], stack = layers.stack
        let front: PlanFrontStage?
        if let f = layers.front {
            guard let stage = f.stage(for: x), stage.width == stack.inWidth else { return nil }
            front = stage
        } else {
            front = nil
        }
        self.front = front
        let norms = stack.stages.map { s in s.batchNorm.map { BatchNormStage($0, rows: rows, channels: s.outWidth) } }
        self.norms = norms
        normalizes = stack.normalizes
        let kind: LossKind
        switch loss {
        case let l as CategoricalCrossentropy:
            guard stack.endsInSoftmax, !l.fromLogits, l.labelSmoothing == 0, l.axis == -1 || l.axis == 1 else { return nil }
            guard l.reduction == .sumOverBatchSize || l.reduction == .mean else { return nil }
            kind = .categorical
        case let l as SparseCategoricalCrossentropy:
            guard stack.endsInSoftmax, !l.fromLogits, l.ignoreClass == nil, l.axis == -1 || l.axis == 1 else { return nil }
            guard l.reduction == .sumOverBatchSize || l.reduction == .mean else { return nil }
            kind = .sparseCategorical
        case let l as MeanSquaredError:
            guard !stack.endsInSoftmax, l.reduction == .sumOverBatchSize || l.reduction == .mean else { return nil }
            kind = .meanSquared
        default:
            return nil
        }
        lossKind = kind
        let variables = model.trainableWeights
        var kernelIndex: [Int] = [], biasIndex: [Int] = []
        for s in stack.stages {
            guard let kernel = s.kernel else { kernelIndex.append(-1); biasIndex.append(-1); continue }
            guard let k = variables.firstIndex(where: { $0 === kernel }) else { return nil }
            kernelIndex.append(k)
            biasIndex.append(s.bias.flatMap { b in variables.firstIndex { $0 === b } } ?? -1)
            if s.bias != nil && biasIndex.last == -1 { return nil }
        }
        // The other weights' gradient buffers: the front's and the BatchNormalizations'.
        func ownGradient(_ v: Variable) -> Tensor? {
            if let g = front?.gradient(of: v) { return g }
            for n in norms { if let g = n?.gradient(of: v) { return g } }
            return nil
        }
        let others = variables.filter { ownGradient($0) != nil }.count
        let expected = (front?.weightCount ?? 0)
            + norms.reduce(0) { $0 + ($1?.scaleGradient == nil ? 0 : 1) + ($1?.offsetGradient == nil ? 0 : 1) }
        guard variables.count == kernelIndex.filter({ $0 >= 0 }).count + biasIndex.filter({ $0 >= 0 }).count + others,
              others == expected else { return nil }
        self.layers = layers
        self.stack = stack
        self.rows = rows
        classes = stack.outWidth
        self.variables = variables
        gradients = variables.map { v in ownGradient(v) ?? Tensor.uninitialized(v.shape) }
        outputs = stack.stages.map { Tensor.uninitialized([rows, $0.outWidth]) }
        inputGradients = stack.stages.indices.map { i in
            i == 0 && front == nil ? nil : Tensor.uninitialized([rows, stack.stages[i].inWidth])
        }
        activationGradients = stack.stages.map { s in
            s.kernel != nil && s.activation != .linear ? Tensor.uninitialized([rows, s.outWidth]) : nil
        }
        self.kernelIndex = kernelIndex
        self.biasIndex = biasIndex
        probabilities = Tensor.uninitialized([rows, stack.outWidth])
        logitsGradient = Tensor.uninitialized([rows, stack.outWidth])
        values = Tensor.uninitialized([rows])
        upstream = Tensor.uninitialized([rows])
        predictions = [kind == .meanSquared ? outputs[outputs.count - 1] : probabilities]
    }

    /// True when a step of `model` adds nothing to the layers' loss and trains every weight:
    /// the model and every layer with weights trainable, no regularizer, no loss scaling.
    static func isPlain(_ model: Model, _ layers: PlanLayers, _ c: CompiledState) -> Bool {
        guard model.trainable, model.activityRegularizer == nil, model.weightRegularizers.isEmpty,
              !c.optimizer.scalesLoss, layers.matches(model.planChain), layers.front?.isPlain ?? true else { return false }
        let stack = layers.stack
        // Index loops: a debug build allocates in each step of a generic iterator (for-in).
        for i in 0..<stack.layers.count {
            let layer = stack.layers[i]
            guard layer.activityRegularizer == nil, layer.weightRegularizers.isEmpty else { return false }
        }
        for i in 0..<stack.stages.count {
            let s = stack.stages[i]
            guard let layer = s.layer else { continue }
            if let bn = s.batchNorm {
                // A frozen BatchNormalization runs in inference mode (Keras 3).
                guard bn.trainable, bn.gamma?.trainable ?? true, bn.beta?.trainable ?? true else { return false }
                continue
            }
            guard layer.trainable, s.kernel?.trainable == true, s.bias?.trainable ?? true else { return false }
        }
        return true
    }

    /// True when `x` and `y` are a batch this plan takes: inputs of the model's shape, and
    /// targets of the prediction's shape (one-hot, or regression targets; a vector for one
    /// output column), or one label per row.
    func fits(_ x: Tensor, _ y: Tensor) -> Bool {
        guard x.rank > 0, x.shape[0] == rows, layers.accepts(x) else { return false }
        if sparse { return y.count == rows && (y.rank == 1 || (y.rank == 2 && y.shape[1] == 1)) }
        if lossKind == .meanSquared, classes == 1, y.rank == 1 { return y.count == rows }
        return y.rank == 2 && y.shape[0] == rows && y.shape[1] == classes
    }

    /// True when ``test(_:_:_:_:)`` gives the general test step's figures: with no tape, the
    /// loss renormalises the probabilities as Keras does, which the sparse kernel does too;
    /// one-hot targets take generic ops there, so their test steps take the general path, as do
    /// those with a BatchNormalization (inference folds it into the Dense before it, or runs the
    /// convolution, the normalization and the pooling one by one).
    var tests: Bool { lossKind != .categorical && !stack.normalizes && (front?.tests ?? true) }

    /// One test step on a batch that ``fits(_:_:)`` when the plan ``tests`` (Keras's
    /// `test_step`: the loss and the metrics, no update); returns the loss.
    func test(_ model: Model, _ xs: [Tensor], _ ys: [Tensor], _ c: CompiledState) throws -> Double {
        try record(model, ys, c, loss: try forwardLoss(xs[0].data, ys[0].data, training: false, renormalize: true))
    }

    /// The forward pass into `outputs` and `probabilities`, and Keras's loss: per-row
    /// cross-entropy (or mean squared error), summed in order, times 1 / rows (LossReduction).
    /// `renormalize` divides the probabilities by their sum first (sparse targets; the loss of a
    /// test step).
    private func forwardLoss(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, training: Bool,
                             renormalize: Bool = false) throws -> Float {
        if sparse { try SparseCategoricalCrossentropy.checkLabels(y, rows: rows, classes: classes, ignoreClass: nil, mask: nil) }
        let stages = stack.stages
        var src = front?.forward(x, training: training) ?? x
        for i in 0..<stages.count {
            if normalizes, let norm = norms[i] {
                norm.forward(src, into: outputs[i].data)
            } else {
                DenseStack.forward(stages[i], src, into: outputs[i].data, rows: rows)
            }
            src = UnsafePointer(outputs[i].data)
        }
        let p = probabilities.data, k = classes
        switch lossKind {
        case .meanSquared:
            Self.squaredErrorRows(y, src, into: values.data, rows: rows, width: k)
        case .sparseCategorical:
            Kernels.softmax(src, p, outer: rows, n: k, inner: 1)
            Kernels.sparseCrossentropyRows(y, p, mask: nil, into: values.data, rows: rows, classes: k, renormalize: renormalize)
        case .categorical:
            Kernels.softmax(src, p, outer: rows, n: k, inner: 1)
            Kernels.crossentropyRows(y, p, into: values.data, rows: rows, classes: k)
        }
        var total: Float = 0
        for r in 0..<rows { total += values.data[r] }
        return total * (1 / Float(rows)) + 0
    }

    /// Hands the loss and the prediction to the model's metrics; returns the loss.
    private func record(_ model: Model, _ ys: [Tensor], _ c: CompiledState, loss: Float) throws -> Double {
        let value = Double(loss)
        perOutput[0] = value
        try model.updateMetrics(ys, predictions, nil, c, total: value, perOutput: perOutput, batch: rows, masks: nil)
        return value
    }

    /// One training step on a batch that ``fits(_:_:)``; returns the loss.
    func step(_ model: Model, _ xs: [Tensor], _ ys: [Tensor], _ c: CompiledState) throws -> Double {
        let x = xs[0].data, y = ys[0].data
        let loss = try forwardLoss(x, y, training: true)
        let stages = stack.stages
        let p = probabilities.data, k = classes
        let scale = 1 / Float(rows)
        // Backward: d loss / d values is `scale` per row, fused through the softmax into the logits.
        upstream.data.initialize(repeating: 1 * scale, count: rows)
        if lossKind == .meanSquared {
            Self.squaredErrorBackward(y, outputs[stages.count - 1].data, upstream: 1 * scale, into: logitsGradient.data,
                                      count: rows * k, width: k)
        } else if sparse {
            Kernels.sparseSoftmaxCrossentropyBackward(y, p, mask: nil, upstream: upstream.data, into: logitsGradient.data,
                                                      rows: rows, classes: k)
        } else {
            Kernels.softmaxCrossentropyBackward(y, p, upstream: upstream.data, into: logitsGradient.data, rows: rows, classes: k)
        }
        var g = UnsafePointer(logitsGradient.data)
        let stackInput = front?.output ?? UnsafePointer(x)
        for i in stride(from: stages.count - 1, through: 0, by: -1) {
            let s = stages[i]
            let input = i == 0 ? stackInput : UnsafePointer(outputs[i - 1].data)
            let dx = inputGradients[i]?.data
            if let kernel = s.kernel {
                Kernels.denseBackward(x: input, kernel: kernel.storedValue.data, output: outputs[i].data, upstream: g,
                                      activation: s.activation, dz: activationGradients[i]?.data,
                                      kernelGradient: gradients[kernelIndex[i]].data,
                                      biasGradient: biasIndex[i] >= 0 ? gradients[biasIndex[i]].data : nil,
                                      inputGradient: dx, rows: rows, inputs: s.inWidth, units: s.outWidth)
            } else if normalizes, let norm = norms[i], let dx {
                norm.backward(input, upstream: g, into: dx)
            } else if let dx {
                s.activation.backward(output: outputs[i].data, upstream: g, into: dx, count: rows * s.outWidth)
            }
            guard let dx else { break }
            g = UnsafePointer(dx)
        }
        if let front, let dx = inputGradients[0]?.data { front.backward(x, upstream: dx) }
        try c.optimizer.apply(gradients, to: variables)
        return try record(model, ys, c, loss: loss)
    }
}

extension StepPlan {
    /// Keras's mean squared error per row as `MeanSquaredError` computes it with the tape's
    /// ops (`mean(square(y − p), axis: -1)`: a sum from zero in order, times 1 / width).
    static func squaredErrorRows(_ y: UnsafePointer<Float>, _ p: UnsafePointer<Float>, into values: UnsafeMutablePointer<Float>,
                                 rows: Int, width k: Int) {
        let scale = 1 / Float(k)
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<k {
                let d = y[r * k + j] - p[r * k + j]
                s += d * d
            }
            values[r] = s * scale + 0
        }
    }

    /// The gradient of the prediction `p` from `upstream`, the gradient of each row's value, as
    /// the tape's VJPs give it: the mean's `g · (1 / width)`, the square's `2 · d · g`, the
    /// subtraction's `· −1`.
    static func squaredErrorBackward(_ y: UnsafePointer<Float>, _ p: UnsafePointer<Float>, upstream: Float,
                                     into dp: UnsafeMutablePointer<Float>, count: Int, width k: Int) {
        let g = upstream * (1 / Float(k))
        for i in 0..<count {
            let d = y[i] - p[i]
            dp[i] = 2 * d * g * -1
        }
    }
}

extension Model {
    /// The step plan for this batch, made on first use of its batch size (up to four are kept:
    /// an epoch's batch size and its last, smaller batch); nil when the general step runs.
    func stepPlan(_ xs: [Tensor], _ ys: [Tensor], _ sw: Tensor?, _ c: CompiledState) -> StepPlan? {
        guard c.usesStepPlans, sw == nil, xs.count == 1, ys.count == 1, let layers = planLayers, layers.isCurrent,
              StepPlan.isPlain(self, layers, c) else { return nil }
        let rows = xs[0].rank > 0 ? xs[0].shape[0] : 0
        for i in 0..<c.stepPlans.count where c.stepPlans[i].rows == rows {
            let plan = c.stepPlans[i]
            // The same (immutable) plan layers are the layers `isPlain` has just matched.
            guard (plan.layers === layers && layers.isCurrent) || plan.layers.matches(layers.layers) else { break }
            return plan.fits(xs[0], ys[0]) ? plan : nil
        }
        // Kept while the layers stay: the loss or the weights do not fit a plan.
        if let rejected = c.planRejectedLayers, layers.matches(rejected) { return nil }
        // A batch the model does not take: the general step reports it.
        guard rows > 0, layers.accepts(xs[0]) else { return nil }
        if let first = c.stepPlans.first, !first.layers.matches(layers.layers) { c.stepPlans.removeAll() }
        guard let plan = StepPlan(self, c, x: xs[0]) else {
            c.planRejectedLayers = layers.layers
            return nil
        }
        if c.stepPlans.count == 4 { c.stepPlans.removeFirst() }
        c.stepPlans.append(plan)
        return plan.fits(xs[0], ys[0]) ? plan : nil
    }
}

/// The layers of a built `Sequential` model, or of a functional chain
/// (``Model/planChain(_:inputs:outputs:)``), that a ``StepPlan`` trains, found when its graph is
/// (re)built: a ``DenseStack`` over the whole model (the MLPs: Otto, iris, and
/// with BatchNormalization between Dense layers), or after a ``PlanFront``: a ``PooledConvFront``
/// (a first convolution fused with its max pooling, a Flatten and an optional Dropout: the small
/// convnets), a ``RecurrentFront`` (a first LSTM, GRU or SimpleRNN returning its last output:
/// the sequence models) or an ``AttentionFront`` (a self-attention and a GlobalAveragePooling1D:
/// mha_epoch's model). Any other model takes the general step. Immutable, so that a step checks
/// it by identity.
final class PlanLayers {
    let front: PlanFront?
    let stack: DenseStack
    /// The model's layers when they were read.
    let layers: [Layer]
    /// Their ``Layer/planGeneration`` then (a layer changed since is not what the plan holds).
    let generations: [Int]
    /// The input's shape without the batch axis (every size known).
    let sampleShape: [Int]

    /// The plan layers of `layers` behind an input of shape `inputShape` (batch first); `dense`
    /// is the model's inference stack, if it has one (the same Dense stack).
    init?(_ layers: [Layer], inputShape: [Int?]?, dense: InferenceStack?) {
        guard let shape = inputShape, shape.count >= 2 else { return nil }
        var sample: [Int] = []
        for d in shape.dropFirst() {
            guard let d, d > 0 else { return nil }
            sample.append(d)
        }
        if let dense {
            front = nil
            stack = dense.stack
        } else if let f = Self.front(of: layers) {
            guard let s = DenseStack(Array(layers[f.layerCount...])) else { return nil }
            front = f
            stack = s
        } else {
            // A stack the inference plan does not take (BatchNormalization), on a matrix input.
            guard let s = DenseStack(layers), sample == [s.inWidth] else { return nil }
            front = nil
            stack = s
        }
        self.layers = layers
        generations = layers.map(\.planGeneration)
        sampleShape = sample
    }

    /// The front that `layers` start with, if any.
    private static func front(of layers: [Layer]) -> PlanFront? {
        if let f = PooledConvFront(layers) { return f }
        if let f = RecurrentFront(layers) { return f }
        return AttentionFront(layers)
    }

    /// True when `x` is a non-empty batch the model's input takes (what `checkInput` accepts:
    /// any batch size, as Keras's input_spec).
    func accepts(_ x: Tensor) -> Bool {
        guard x.rank == sampleShape.count + 1, x.shape[0] > 0 else { return false }
        for i in 0..<sampleShape.count where x.shape[i + 1] != sampleShape[i] { return false }
        return true
    }

    /// True while no layer changed in a way the plan does not see.
    var isCurrent: Bool {
        for i in layers.indices where layers[i].planGeneration != generations[i] { return false }
        return true
    }

    /// True while `layers` are still these layers, with the same weights of the same sizes.
    func matches(_ layers: [Layer]) -> Bool {
        guard layers.count == self.layers.count, isCurrent else { return false }
        guard let front else { return stack.matches(layers) }
        let n = front.layerCount
        for i in 0..<n where layers[i] !== self.layers[i] { return false }
        return front.matches() && stack.matches(layers, from: n)
    }
}

extension Model {
    /// The layers of a functional graph that a ``StepPlan`` may train as it trains a Sequential's
    /// (``PlanLayers``): those of a **chain** — one Input, one output, and every layer called
    /// once, on the output of the layer before it (a self-attention called as `mha([x, x])`
    /// takes that one output as each of its inputs), the last call making the model's output.
    /// Nil for any other graph (branches, residuals, several inputs or outputs, shared layers,
    /// a layer of several outputs): those models take the general step.
    static func planChain(_ order: [GraphNode], inputs: [KerasTensor], outputs: [KerasTensor]) -> [Layer]? {
        guard inputs.count == 1, outputs.count == 1, order.count >= 2, let first = inputs[0].node, first.layer is InputLayer,
              order[0] === first, let last = outputs[0].node, last === order[order.count - 1], outputs[0].tensorIndex == 0
        else { return nil }
        var layers: [Layer] = []
        for i in 1..<order.count {
            let node = order[i], previous = order[i - 1]
            guard !node.inputs.isEmpty, node.masks == nil, previous.outputShapes.count == 1, !(node.layer is InputLayer),
                  node.inputs.allSatisfy({ $0.node === previous && $0.tensorIndex == 0 }),
                  !layers.contains(where: { $0 === node.layer }) else { return nil }
            layers.append(node.layer)
        }
        return layers
    }
}
