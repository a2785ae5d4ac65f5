/// A `Sequential` model whose layers are `Dense` and elementwise `Activation` layers (and, for
/// training only, `BatchNormalization` over the features), optionally ending in a softmax over
/// the last axis: the shape of the small MLPs (Otto, iris) whose training steps and one-row
/// predictions cost microseconds. A layer written with `keras.ops`
/// whose traced graph is one fused dense node over its input and weights (``OpGraph/denseForm``)
/// counts as a Dense. ``StepPlan`` trains such a
/// stack and ``Sequential/predictWithPlan(_:)`` runs it without the tape, the call context or
/// per-layer tensors, through the same kernels as `Ops.dense`, `Ops.activation` and
/// `Ops.softmax` in the same order, so that results are bit-identical to the general path.
struct DenseStack {
    /// One layer: a Dense (with its fused elementwise activation), a standalone activation, or a
    /// BatchNormalization.
    struct Stage {
        /// The Dense (or traced dense) layer or BatchNormalization, or nil for an `Activation` layer.
        let layer: Layer?
        let kernel: Variable?
        let bias: Variable?
        let activation: ElementwiseActivation
        let inWidth: Int
        let outWidth: Int
        /// The BatchNormalization of this stage (`layer`), if it is one.
        var batchNorm: BatchNormalization? = nil
    }

    /// The model's layers when the stack was read (identity is checked before each use).
    let layers: [Layer]
    /// Their ``Layer/planGeneration`` then: a layer changed since (a new activation) is not
    /// what the stages hold.
    let generations: [Int]
    let stages: [Stage]
    /// True when the last layer is a softmax over the last axis (not one of `stages`).
    let endsInSoftmax: Bool
    let inWidth: Int
    let outWidth: Int
    /// The widest activation, for scratch buffers.
    let maxWidth: Int
    /// True when a stage is a BatchNormalization (the inference plan does not take the stack:
    /// inference folds it into the Dense before it).
    let normalizes: Bool

    /// The stack of `layers`, or nil when a layer is anything else (or unbuilt).
    init?(_ layers: [Layer]) {
        guard !layers.isEmpty else { return nil }
        var stages: [Stage] = []
        var width: Int?
        var softmax = false
        for (i, l) in layers.enumerated() {
            guard !softmax else { return nil }  // a softmax is only supported as the last layer
            if let p = Self.denseParts(l) {
                guard p.kernel.shape.count == 2, p.kernel.storedValue.count > 0 else { return nil }
                let (k, n) = (p.kernel.shape[0], p.kernel.shape[1])
                guard width == nil || width == k else { return nil }
                let kind: ElementwiseActivation
                if let e = p.activation {
                    kind = e
                } else if i == layers.count - 1 {
                    kind = .linear
                    softmax = true
                } else {
                    return nil
                }
                stages.append(Stage(layer: l, kernel: p.kernel, bias: p.bias, activation: kind, inWidth: k, outWidth: n))
                width = n
            } else if let bn = l as? BatchNormalization {
                // Over the features of a Dense's output, trained with batch statistics (a frozen one runs in inference mode).
                guard let w = width, bn.built, bn.axis == -1 || bn.axis == 1, bn.movingMean?.shape == [w],
                      bn.movingVariance?.shape == [w], bn.gamma.map({ $0.shape == [w] }) ?? true,
                      bn.beta.map({ $0.shape == [w] }) ?? true, bn.activityRegularizer == nil else { return nil }
                stages.append(Stage(layer: bn, kernel: nil, bias: nil, activation: .linear, inWidth: w, outWidth: w, batchNorm: bn))
            } else if let a = l as? Activation {
                let fn = a.activationFunction
                if fn.isLastAxisSoftmax {
                    softmax = true
                } else if let e = fn.elementwise {
                    guard let w = width else { return nil }  // needs a known width: after a Dense
                    if e != .linear { stages.append(Stage(layer: nil, kernel: nil, bias: nil, activation: e, inWidth: w, outWidth: w)) }
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        guard let first = stages.first, first.kernel != nil, let out = width else { return nil }
        self.layers = layers
        generations = layers.map(\.planGeneration)
        self.stages = stages
        endsInSoftmax = softmax
        inWidth = first.inWidth
        outWidth = out
        maxWidth = stages.reduce(first.inWidth) { Swift.max($0, $1.outWidth) }
        normalizes = stages.contains { $0.batchNorm != nil }
    }

    /// The kernel, bias and activation of a layer computing `activation(x · kernel (+ bias))`:
    /// a built Dense (activation nil for its softmax over the last axis), or a layer written
    /// with `keras.ops` whose traced graph is one fused dense node; nil for any other layer.
    static func denseParts(_ l: Layer) -> (kernel: Variable, bias: Variable?, activation: ElementwiseActivation?)? {
        if let d = l as? Dense {
            // An activity penalty needs the layer's own output (a test step collects it).
            guard d.built, d.quantizationMode == nil, let kernel = d.kernel, d.useBias == (d.bias != nil), d.activityRegularizer == nil else { return nil }
            let fn = d.activationFunction
            if let e = fn.elementwise { return (kernel, d.bias, e) }
            return fn.isLastAxisSoftmax ? (kernel, d.bias, nil) : nil
        }
        guard let t = l as? CallbackLayer, t.built, t.sizedTraces == nil, let f = t.graph?.denseForm, let w = t.denseWeights,
              let kernel = w.kernel, kernel.shape.count == 2,
              w.bias.map({ $0.shape == [kernel.shape[1]] }) ?? true else { return nil }
        return (kernel, w.bias, f.activation)
    }

    /// True while `layers` from `start` on are still the stack's layers, with the same weights
    /// of the same sizes.
    func matches(_ layers: [Layer], from start: Int = 0) -> Bool {
        guard start >= 0, layers.count - start == self.layers.count, isCurrent else { return false }
        for i in 0..<self.layers.count where layers[start + i] !== self.layers[i] { return false }
        for i in 0..<stages.count {
            let s = stages[i]
            guard let layer = s.layer, s.batchNorm == nil else { continue }
            let current = (layer as? Dense).map { (kernel: $0.kernel, bias: $0.bias) } ?? (layer as? CallbackLayer)?.denseWeights
            guard let current, current.kernel === s.kernel, current.bias === s.bias,
                  s.kernel?.storedValue.count == s.inWidth * s.outWidth,
                  s.bias.map({ $0.storedValue.count == s.outWidth }) ?? true else { return false }
        }
        return true
    }

    /// True while no layer of the stack changed in a way its stages do not see.
    var isCurrent: Bool {
        for i in layers.indices where layers[i].planGeneration != generations[i] { return false }
        return true
    }

    /// Runs stage `s` forward on `m` rows from `x` into `y` (which must not alias `x`).
    static func forward(_ s: Stage, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows m: Int) {
        if let kernel = s.kernel {
            Kernels.dense(x, kernel: kernel.storedValue.data, bias: s.bias.map { UnsafePointer($0.storedValue.data) },
                          into: y, rows: m, inputs: s.inWidth, units: s.outWidth, activation: s.activation)
        } else {
            y.update(from: x, count: m * s.outWidth)
            s.activation.apply(y, count: m * s.outWidth)
        }
    }
}

extension Sequential {
    /// `predictOnBatch` of a Dense stack (``DenseStack``): the layers' kernels in order on
    /// scratch buffers from the thread's pool, into one new tensor; nil when the model is not
    /// such a stack or the input is not a `[rows, features]` matrix that fits it (the general
    /// path then runs, or reports the error).
    func predictWithPlan(_ x: Tensor) -> Tensor? {
        guard let plan = inferenceStack, plan.accepts(x), plan.stack.isCurrent else { return nil }
        let m = x.shape[0]
        let out = Tensor.uninitialized(m == 1 ? plan.oneRowShape : [m, plan.stack.outWidth])
        let stages = plan.stack.stages
        let pool = BufferPool.current
        let size = m * plan.stack.maxWidth
        let a = pool.take(size), b = pool.take(size)
        defer { pool.give(a, size); pool.give(b, size) }
        var src = UnsafePointer(x.data)
        for i in 0..<stages.count {
            let last = i == stages.count - 1 && !plan.stack.endsInSoftmax
            let dst = last ? out.data : (src == UnsafePointer(a) ? b : a)
            DenseStack.forward(stages[i], src, into: dst, rows: m)
            src = UnsafePointer(dst)
        }
        if plan.stack.endsInSoftmax {
            Kernels.softmax(src, out.data, outer: m, n: plan.stack.outWidth, inner: 1)
        }
        return out
    }
}

/// The Dense stack of a built `Sequential` model with the shape of a one-row prediction,
/// computed when its graph is (re)built; immutable, so concurrent predictions may share it.
final class InferenceStack {
    let stack: DenseStack
    let oneRowShape: [Int]

    /// The stack of `layers` behind an input of shape `inputShape` (batch first), when they are
    /// one and the input is a matrix.
    init?(_ layers: [Layer], inputShape: [Int?]?) {
        guard let stack = DenseStack(layers), !stack.normalizes, let shape = inputShape, shape.count == 2,
              shape[1] == stack.inWidth else { return nil }
        self.stack = stack
        oneRowShape = [1, stack.outWidth]
    }

    /// True when `x` is a non-empty batch the model's input takes (what `checkInput` accepts:
    /// any batch size, that of an input declared with one included, as Keras's input_spec).
    func accepts(_ x: Tensor) -> Bool {
        x.rank == 2 && x.shape[1] == stack.inWidth && x.shape[0] > 0
    }
}

extension CallbackLayer {
    /// The kernel and bias of a layer whose traced graph is one fused dense node
    /// (``OpGraph/denseForm``), or nil.
    var denseWeights: (kernel: Variable?, bias: Variable?)? {
        guard let f = graph?.denseForm else { return nil }
        let vs = variables
        guard f.kernel < vs.count, (f.bias ?? 0) < vs.count else { return nil }
        return (vs[f.kernel], f.bias.map { vs[$0] })
    }
}
