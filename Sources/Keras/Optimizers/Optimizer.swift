#if canImport(Glibc)
import Glibc
#endif

/// Updates weights from gradients. Keras: `keras.optimizers.Optimizer`.
///
/// Subclasses implement ``update(_:gradient:count:slots:step:learningRate:)`` for one variable
/// over raw pointers; the base class does what Keras's base optimizer does around it, in Keras's
/// order: learning rate (constant, schedule, or Keras 2's `decay`), gradient clipping
/// (`clipnorm`, `clipvalue` or `globalClipnorm`), decoupled weight decay, the update, the moving
/// average of the weights (`useEMA`), constraints, and the step count. A warm step allocates
/// nothing: each variable's state lives in one buffer made on first use.
///
/// ```swift
/// let opt = try Adam(learningRate: 1e-3, options: OptimizerArguments(weightDecay: 0.01, useEMA: true))
/// try opt.apply(gradients, to: model.trainableWeights)
/// ```
open class Optimizer: @unchecked Sendable {
    /// The arguments every optimizer takes (``OptimizerArguments``), as given, with ``name`` resolved.
    public internal(set) var arguments: OptimizerArguments
    /// The schedule giving the learning rate of each step, when one was given.
    public private(set) var schedule: LearningRateSchedule?
    @exclusivity(unchecked) private var constantLearningRate: Float
    /// The name (Keras's `name`, `adam` by default).
    public var name: String { arguments.name ?? "" }
    /// Decoupled weight decay: before each update `w -= w * weightDecay * lr`.
    public var weightDecay: Double? { arguments.weightDecay }
    /// Clips each gradient to this L2 norm.
    public var clipnorm: Double? { arguments.clipnorm }
    /// Clips each gradient element to `[-clipvalue, clipvalue]`.
    public var clipvalue: Double? { arguments.clipvalue }
    /// Clips all gradients together to this global L2 norm.
    public var globalClipnorm: Double? { arguments.globalClipnorm }
    /// Keeps an exponential moving average of the weights.
    public var useEMA: Bool { arguments.useEMA }
    /// `average = emaMomentum * average + (1 - emaMomentum) * weight`.
    public var emaMomentum: Double { arguments.emaMomentum }
    /// Every this many steps, the weights are overwritten with their average.
    public var emaOverwriteFrequency: Int? { arguments.emaOverwriteFrequency }
    /// Keras 2's learning-rate decay: `lr / (1 + decay * iterations)`.
    public var decay: Double { arguments.decay }
    /// The loss is multiplied by this before gradients are taken and the gradients divided by it
    /// (Keras's `loss_scale_factor`, for reduced precision; harmless in float32).
    public internal(set) var lossScaleFactor: Double? {
        get { arguments.lossScaleFactor }
        set { arguments.lossScaleFactor = newValue }
    }
    /// When set, gradients are summed over this many calls and their mean applied on the last
    /// one; the other calls only accumulate.
    public var gradientAccumulationSteps: Int? { arguments.gradientAccumulationSteps }
    /// Calls to ``apply(_:to:)`` so far (Keras's `_iterations`: with gradient accumulation,
    /// Keras's `optimizer.iterations` is this divided by the accumulation steps).
    @exclusivity(unchecked) public internal(set) var iterations: Int = 0

    @exclusivity(unchecked) var stateByVariable: [ObjectIdentifier: SlotState] = [:]
    @exclusivity(unchecked) private var currentStates: [SlotState] = []
    private var excludedFromDecay: Set<ObjectIdentifier> = []
    private var excludedNames: [String] = []

    /// Shared initialisation: the learning rate, the common arguments, and the Keras name used
    /// when `options.name` is nil.
    public init(learningRate: any LearningRateConvertible, options o: OptimizerArguments = OptimizerArguments(),
                defaultName: String) throws {
        // The class, written into a message only when one is thrown: `String(describing:)` of a
        // metatype searches the protocol conformances (~1 M instructions the first time in a
        // process, the first compile's; cached after).
        let owner = type(of: self)
        switch learningRate.asLearningRate {
        case .constant(let lr):
            guard lr >= 0, lr.isFinite else {
                throw KerasError.invalidArgument("\(owner)(learning_rate: \(lr)): the learning rate must be a finite number >= 0")
            }
            constantLearningRate = lr
            schedule = nil
        case .schedule(let s):
            constantLearningRate = 0
            schedule = s
        }
        for (key, value) in [("weight_decay", o.weightDecay), ("clipnorm", o.clipnorm), ("clipvalue", o.clipvalue),
                             ("global_clipnorm", o.globalClipnorm)] {
            if let value, !(value >= 0 && value.isFinite) {
                throw KerasError.invalidArgument("\(owner)(\(key): \(value)): \(key) must be a finite number >= 0")
            }
        }
        let clips = [o.clipnorm, o.clipvalue, o.globalClipnorm].compactMap { $0 }.count
        guard clips <= 1 else {
            func text(_ v: Double?) -> String { v.map { "\($0)" } ?? "nil" }
            throw KerasError.invalidArgument("\(owner)(clipnorm: \(text(o.clipnorm)), clipvalue: \(text(o.clipvalue)), global_clipnorm: \(text(o.globalClipnorm))): only one of clipnorm, clipvalue and global_clipnorm can be set")
        }
        if o.useEMA {
            guard o.emaMomentum >= 0, o.emaMomentum <= 1 else {
                throw KerasError.invalidArgument("\(owner)(ema_momentum: \(o.emaMomentum)): ema_momentum must be in [0, 1]")
            }
            if let f = o.emaOverwriteFrequency, f < 1 {
                throw KerasError.invalidArgument("\(owner)(ema_overwrite_frequency: \(f)): ema_overwrite_frequency must be an integer >= 1 or nil")
            }
        }
        if let f = o.lossScaleFactor, !(f > 0 && f.isFinite) {
            throw KerasError.invalidArgument("\(owner)(loss_scale_factor: \(f)): loss_scale_factor must be a finite number > 0")
        }
        if let k = o.gradientAccumulationSteps, k < 2 {
            throw KerasError.invalidArgument("\(owner)(gradient_accumulation_steps: \(k)): gradient_accumulation_steps must be an integer >= 2")
        }
        guard o.decay >= 0, o.decay.isFinite else {
            throw KerasError.invalidArgument("\(owner)(decay: \(o.decay)): decay must be a finite number >= 0")
        }
        arguments = o
        arguments.name = o.name ?? defaultName
    }

    /// The loss to differentiate: multiplied by ``lossScaleFactor`` when set. Keras:
    /// `optimizer.scale_loss(loss)`.
    public func scaleLoss(_ loss: Tensor) -> Tensor {
        guard let f = lossScaleFactor else { return loss }
        return loss * Float(f)
    }

    /// Whether ``scaleLoss(_:)`` changes the loss (training then differentiates the scaled loss).
    public var scalesLoss: Bool { lossScaleFactor != nil }

    /// The optimizers a wrapper (``LossScaleOptimizer``, ``MultiOptimizer``) delegates to, whose
    /// variables follow the wrapper's own in Keras's `optimizer.variables`; empty otherwise.
    var innerOptimizers: [Optimizer] { [] }

    /// Each inner optimizer with the variables it updates out of `variables`.
    func delegates(for variables: [Variable]) -> [(Optimizer, [Variable])] { innerOptimizers.map { ($0, variables) } }

    /// This object's own step count as Keras saves it (a wrapper's own stays 0).
    var ownIterations: Int {
        get { iterations }
        set { iterations = newValue }
    }

    /// This object's own constant learning rate as Keras saves it (a wrapper's is 0).
    var ownLearningRate: Float {
        get { constantLearningRate }
        set { constantLearningRate = newValue }
    }

    /// The Keras class name (`Adam`).
    open var className: String { String(describing: type(of: self)) }

    // MARK: Subclass contract

    /// Keras's names for each variable's state, grouped as Keras creates them (names in one
    /// group interleave per variable). Slot `k` of ``update(_:gradient:count:slots:step:learningRate:)``
    /// is the `k`-th name of the flattened groups.
    open var slotGroups: [[String]] { [] }

    /// The path Keras gives `variable`'s slot `slot` in `optimizer.variables`:
    /// `<optimizer>/<variable path with _>_<slot>` (`adam/dense_kernel_momentum`), as Keras's
    /// `add_variable_from_reference` names it.
    open func slotVariablePath(_ slot: String, of variable: Variable, shape: [Int]) -> String {
        "\(name)/\(variable.path.replacingSlashes())_\(slot)"
    }

    /// The starting value of slot `index` (zero except for Adagrad's accumulator).
    open func initialSlotValue(_ index: Int) -> Float { 0 }

    /// Called once per step before the variables are updated (Nadam's running product).
    open func beginStep(_ step: Int) {}

    /// Updates one variable in place. Slot `k` occupies `slots[k * n ..< (k + 1) * n]`; `step`
    /// counts from 1; `lr` is this step's learning rate.
    open func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                     slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {}

    /// Updates `variable` in place; optimizers whose step depends on the variable's shape or path
    /// (Adafactor, Muon) override this, the others the elementwise update it calls.
    open func updateVariable(_ variable: Variable, _ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                             count n: Int, slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        update(w, gradient: g, count: n, slots: slots, step: step, learningRate: lr)
    }

    /// The shape Keras gives slot `index` of a variable shaped `shape` (the variable's own shape
    /// except for Adafactor's factored second moments).
    open func slotShape(_ index: Int, of shape: [Int]) -> [Int] { shape }

    /// Whether Keras creates slot `index` for `variable` (Muon gives velocities only to the
    /// variables it updates with AdamW); an absent slot is neither saved nor counted.
    open func hasSlot(_ index: Int, for variable: Variable) -> Bool { true }

    /// Sets a new variable's slots beyond their constant starting values (ScheduleFreeAdamW
    /// starts its momentum at the weights).
    open func initializeSlots(of variable: Variable, _ slots: UnsafeMutablePointer<Float>, count n: Int) {}

    /// The weight decay applied to `variable` unless it is excluded (Muon decays the variables it
    /// updates with AdamW at its own rate).
    open func weightDecayRate(for variable: Variable) -> Double? { weightDecay }

    /// Keras's names of the optimizer variables that belong to no model variable, saved after the
    /// slots (Nadam's running product).
    open var extraScalarNames: [String] { [] }

    /// The values of those variables, in that order.
    open var extraScalars: [Float] {
        get { [] }
        set {}
    }

    // MARK: Learning rate

    /// The learning rate of the next step; setting it replaces any schedule (see
    /// ``setLearningRate(_:)`` for Keras's checked setter).
    public var learningRate: Float {
        get { currentLearningRate }
        set { constantLearningRate = newValue; schedule = nil }
    }

    /// Sets a constant learning rate, as Keras's `optimizer.learning_rate = value`: throws for a
    /// negative or non-finite value, or when the optimizer was made with a schedule.
    public func setLearningRate(_ value: Float) throws {
        guard schedule == nil else {
            throw KerasError.invalidState("\(className): this optimizer was created with a LearningRateSchedule, so its learning rate cannot be set")
        }
        guard value >= 0, value.isFinite else {
            throw KerasError.invalidArgument("\(className)(learning_rate: \(value)): the learning rate must be a finite number >= 0")
        }
        constantLearningRate = value
    }

    /// The learning rate for the step being taken: the schedule at `iterations`, or the constant
    /// divided by `1 + decay * iterations`.
    open var currentLearningRate: Float {
        if let schedule { return schedule(iterations) }
        if decay > 0 { return Float(Double(constantLearningRate) / (1 + decay * Double(iterations))) }
        return constantLearningRate
    }

    // MARK: Weight decay exclusions

    /// Leaves these variables, and any whose name contains one of `names`, out of weight decay.
    /// Keras: `optimizer.exclude_from_weight_decay(var_list, var_names)`.
    public func excludeFromWeightDecay(variables: [Variable] = [], names: [String] = []) throws {
        guard stateByVariable.isEmpty else {
            throw KerasError.invalidState("\(className).excludeFromWeightDecay: can only be configured before the optimizer is built (before the first step)")
        }
        excludedFromDecay = Set(variables.map(ObjectIdentifier.init))
        excludedNames = names
    }

    // MARK: Applying gradients

    /// Applies one step to `variables` with their `gradients`. Keras: `optimizer.apply(grads, vars)`.
    /// Integer variables (a counter) are left alone, as they have no gradient.
    public func apply(_ gradients: [Tensor], to variables: [Variable]) throws {
        guard gradients.count == variables.count else {
            throw KerasError.invalidArgument("\(name).apply: \(gradients.count) gradients for \(variables.count) variables")
        }
        for i in 0..<variables.count where variables[i].overwriteWithGradient {
            return try applyOverwriting(gradients, to: variables)
        }
        for i in 0..<variables.count where variables[i].dtype != .float32 {
            let kept = variables.indices.filter { variables[$0].dtype == .float32 }
            return try apply(kept.map { gradients[$0] }, to: kept.map { variables[$0] })
        }
        // Index loops: a debug build allocates in each step of a generic iterator (zip, for-in).
        for i in 0..<variables.count where gradients[i].count != variables[i].storedValue.count {
            throw KerasError.shapeMismatch("\(name).apply: gradient of shape \(gradients[i].shape) for variable '\(variables[i].path)' of shape \(variables[i].shape)")
        }
        if gradients.isEmpty { return }
        let states = self.states(for: variables)
        let lr = currentLearningRate
        let k = gradientAccumulationSteps ?? 1
        if (iterations + 1) % k == 0 {
            let step = iterations / k + 1
            for i in 0..<states.count { states[i].gradient = meanGradient(gradients[i], states[i], k) }
            let globalScale = globalClipScale(states)
            beginStep(step)
            for i in 0..<variables.count {
                let s = states[i]
                let n = s.count
                let w = variables[i].mutableData
                let g = clippedGradient(s, globalScale: globalScale)
                if s.decays {
                    let f = s.decayRate
                    for j in 0..<n { w[j] -= w[j] * f * lr }
                }
                updateVariable(variables[i], w, gradient: g, count: n, slots: s.slots.data, step: step, learningRate: lr)
            }
        } else {
            let unscale = lossScaleFactor.map { 1 / Float($0) } ?? 1
            for (g, s) in zip(gradients, states) {
                guard let acc = s.accumulator?.data else { continue }
                for j in 0..<s.count { acc[j] += g.data[j] * unscale }
            }
        }
        if useEMA { updateMovingAverages(states, variables, step: iterations / k) }
        for i in 0..<variables.count { variables[i].constraint?.apply(variables[i]) }
        iterations += 1
    }

    /// Keras's `_overwrite_variables_directly_with_gradients`: the variables marked
    /// ``Variable/overwriteWithGradient`` take their gradients as their values (a float8 layer's
    /// new scales and amax histories), then the others take the step. With
    /// `gradient_accumulation_steps` k, as Keras: between updates such a variable keeps its value
    /// and its accumulator takes `maximum(gradient, accumulator)`; on each k-th step it takes
    /// that maximum and the accumulator restarts at zeros.
    private func applyOverwriting(_ gradients: [Tensor], to variables: [Variable]) throws {
        let updates = gradientAccumulationSteps.map { (iterations + 1) % $0 == 0 } ?? true
        var kept: [Int] = []
        for i in 0..<variables.count {
            let v = variables[i]
            guard v.overwriteWithGradient else { kept.append(i); continue }
            let g = gradients[i]
            guard g.count == v.storedValue.count else {
                throw KerasError.shapeMismatch("\(name).apply: gradient of shape \(g.shape) for variable '\(v.path)' of shape \(v.shape)")
            }
            guard gradientAccumulationSteps != nil else {
                try v.assign(Ops.reshape(g, v.shape))
                continue
            }
            let accumulator = overwriteAccumulator(for: v)
            let m = Tensor.uninitialized(v.shape)
            let gs = g.data, acc = accumulator.data, out = m.data
            // `ops.maximum`, a NaN on either side giving NaN.
            for j in 0..<m.count { out[j] = gs[j].isNaN || acc[j].isNaN ? .nan : Swift.max(gs[j], acc[j]) }
            if updates {
                try v.assign(m)
                accumulator.data.update(repeating: 0, count: accumulator.count)
            } else {
                accumulator.data.update(from: out, count: m.count)
            }
        }
        try apply(kept.map { gradients[$0] }, to: kept.map { variables[$0] })
    }

    /// With gradient accumulation, the accumulator of an ``Variable/overwriteWithGradient``
    /// variable (Keras's `gradient_accumulator` of a float8 layer's scale or amax history: the
    /// running maximum of its gradients since the last update), made at zeros on first sight;
    /// such a variable has no slots and no moving average.
    func overwriteAccumulator(for v: Variable) -> Tensor {
        if let s = stateByVariable[ObjectIdentifier(v)], s.variable === v, s.count == v.storedValue.count, let acc = s.accumulator {
            return acc
        }
        let s = SlotState(variable: v, slotCount: 0, initial: { _ in 0 }, useEMA: false, clips: false, accumulates: true, decayRate: nil)
        stateByVariable[ObjectIdentifier(v)] = s
        return s.accumulator ?? Tensor(shape: [s.count])
    }

    /// The state of each variable, made on first sight; the array is reused while the same
    /// variables come back in the same order, so that a warm step allocates nothing.
    private func states(for variables: [Variable]) -> [SlotState] {
        if currentStates.count == variables.count {
            var same = true
            for i in 0..<variables.count where currentStates[i].variable !== variables[i] { same = false; break }
            if same { return currentStates }
        }
        let slotCount = slotGroups.reduce(0) { $0 + $1.count }
        currentStates = variables.map { v in
            if let s = stateByVariable[ObjectIdentifier(v)], s.count == v.storedValue.count { return s }
            let rate = weightDecayRate(for: v)
            let decays = rate != nil && !excludedFromDecay.contains(ObjectIdentifier(v))
                && !excludedNames.contains { v.name.contains($0) || v.path.contains($0) }
            let s = SlotState(variable: v, slotCount: slotCount, initial: initialSlotValue, useEMA: useEMA,
                              clips: clipnorm != nil || clipvalue != nil || lossScaleFactor != nil, accumulates: gradientAccumulationSteps != nil,
                              decayRate: decays ? rate.map(Float.init) : nil)
            initializeSlots(of: v, s.slots.data, count: s.count)
            stateByVariable[ObjectIdentifier(v)] = s
            return s
        }
        return currentStates
    }

    /// Each variable's state, made (with initial slot values) when missing; for saving and
    /// restoring optimizer variables (Saving/OptimizerState.swift).
    func statesForSaving(_ variables: [Variable]) -> [SlotState] { states(for: variables) }

    /// The gradient of an updating step: the caller's, or with accumulation the mean of the
    /// accumulated ones and this one, written to the scratch buffer (the accumulator restarts).
    /// Gradients are first divided by ``lossScaleFactor`` when set.
    private func meanGradient(_ g: Tensor, _ s: SlotState, _ k: Int) -> UnsafePointer<Float> {
        let unscale = lossScaleFactor.map { 1 / Float($0) } ?? 1
        if k > 1, let acc = s.accumulator?.data {
            let out = s.scratchBuffer()
            let scale = 1 / Float(k)
            for j in 0..<s.count {
                out[j] = (g.data[j] * unscale + acc[j]) * scale
                acc[j] = 0
            }
            return UnsafePointer(out)
        }
        guard unscale != 1 else { return UnsafePointer(g.data) }
        let out = s.scratchBuffer()
        for j in 0..<s.count { out[j] = g.data[j] * unscale }
        return UnsafePointer(out)
    }

    /// `clip * min(1 / norm, 1 / clip)` over all gradients (NaN when the norm is not finite), or 1.
    private func globalClipScale(_ states: [SlotState]) -> Float {
        guard let c = globalClipnorm, c > 0 else { return 1 }
        var total: Float = 0
        for s in states { total += squaredNorm(s.gradient, s.count) }
        let norm = total.squareRoot()
        let clip = Float(c)
        let scale = clip * Swift.min(1 / norm, 1 / clip)
        return norm.isFinite ? scale : .nan
    }

    /// The gradient to use: `s.gradient`, or a clipped copy in the variable's scratch buffer
    /// (elementwise, so clipping the scratch buffer in place is safe).
    private func clippedGradient(_ s: SlotState, globalScale: Float) -> UnsafePointer<Float> {
        let n = s.count, g = s.gradient
        if let c = clipnorm, c > 0 {
            let out = s.scratchBuffer()
            let clip = Float(c)
            let denom = Swift.max(squaredNorm(g, n).squareRoot(), clip)
            for j in 0..<n { out[j] = g[j] * clip / denom }
            return UnsafePointer(out)
        }
        if let c = clipvalue, c > 0 {
            let out = s.scratchBuffer()
            let clip = Float(c)
            for j in 0..<n { out[j] = Swift.min(Swift.max(g[j], -clip), clip) }
            return UnsafePointer(out)
        }
        if globalScale != 1 {
            // Scaling in place would change the caller's tensor, so use the scratch buffer.
            let out = s.scratchBuffer()
            for j in 0..<n { out[j] = g[j] * globalScale }
            return UnsafePointer(out)
        }
        return g
    }

    private func squaredNorm(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0
        for j in 0..<n { s += p[j] * p[j] }
        return s
    }

    /// Forgets per-variable state and the step count.
    open func reset() {
        stateByVariable.removeAll()
        currentStates.removeAll()
        iterations = 0
    }

    // MARK: Config

    /// Keras's `get_config()`: the base keys in Keras's order, then the subclass's.
    open var config: JSON {
        var c: JSON = [
            "name": .string(name), "learning_rate": learningRateConfig, "weight_decay": .optional(weightDecay),
            "clipnorm": .optional(clipnorm), "global_clipnorm": .optional(globalClipnorm),
            "clipvalue": .optional(clipvalue), "use_ema": .bool(useEMA), "ema_momentum": .double(emaMomentum),
            "ema_overwrite_frequency": .optional(emaOverwriteFrequency), "loss_scale_factor": .optional(lossScaleFactor),
            "gradient_accumulation_steps": .optional(gradientAccumulationSteps),
        ]
        if decay > 0 { c.set("decay", .double(decay)) }
        return c
    }

    /// The learning rate as Keras writes it: the float32 value, or the serialized schedule.
    var learningRateConfig: JSON {
        schedule?.serialized ?? .double(Double(constantLearningRate))
    }
}
