/// The base of every layer. Keras: `keras.layers.Layer`.
///
/// A layer follows Keras's contract: the initializer stores arguments, ``build(_:)`` creates
/// weights from the input shape with ``addWeight(name:shape:initializer:trainable:regularizer:constraint:)``,
/// ``call(_:training:)`` computes with differentiable ``Ops`` (no backward code is needed), and
/// ``getConfig()`` returns the constructor's arguments.
///
/// Layers with several outputs, or that read their input's mask, override the general
/// ``call(_:mask:training:)`` instead (and ``computeOutputShapes(_:)``); callers use
/// `callMultiple`. A layer that passes masks on sets ``supportsMasking``; one that makes or
/// changes a mask overrides ``computeMask(_:mask:)``. `training` reaches nested calls: a layer
/// called inside another's `call` without a flag inherits the outer one, as in Keras.
///
/// ```swift
/// final class Scale: Layer {
///     var w: Variable!
///     override func build(_ inputShape: [Int?]) throws {
///         w = addWeight(name: "w", shape: [inputShape.last!!], initializer: Ones())
///     }
///     override func call(_ x: Tensor, training: Bool) throws -> Tensor { try x * w.value }
/// }
/// ```
open class Layer: @unchecked Sendable {
    /// The unique name (`dense`, `dense_1`), used in summaries and files.
    public var name: String
    /// Whether the layer's weights are updated by training. Setting it sets the `trainable` flag
    /// of the weights created trainable and of every sublayer, as in Keras 3.
    @exclusivity(unchecked) open var trainable: Bool = true {
        didSet {
            for v in variables where v.createdTrainable { v.trainable = trainable }
            for s in sublayers { s.trainable = trainable }
        }
    }
    /// True once ``build(_:)`` has created the weights.
    @exclusivity(unchecked) public internal(set) var built = false
    /// The batch input shape given at construction (`inputShape`, `inputDim`, `batchSize`).
    public var batchInputShape: [Int?]?
    /// Penalty on the layer's output, added to the loss during training.
    @exclusivity(unchecked) public var activityRegularizer: Regularizer?
    /// The own weights in creation order.
    @exclusivity(unchecked) public private(set) var variables: [Variable] = []
    /// Penalties for weight regularizers: (weight, regularizer).
    @exclusivity(unchecked) var weightRegularizers: [(Variable, Regularizer)] = []
    /// The sublayers found in stored properties (see `trackedSublayers()`).
    @exclusivity(unchecked) var trackedCache: TrackedSublayers?
    /// Penalties produced by the last training call (activity regularization, `addLoss`).
    @exclusivity(unchecked) public internal(set) var losses: [Tensor] = []
    /// How many times the layer was called on symbolic tensors (numbers its graph nodes).
    var callCount = 0
    /// The arguments its config gave as ints (`Dropout(0)`'s rate), which ``getConfig()`` writes
    /// as given where the layer holds them as floats, as Keras keeps them.
    @exclusivity(unchecked) var givenIntegers: [String: Int] = [:]
    /// The flags its config gave as other values than true or false (`use_bias=1`), which
    /// ``getConfig()`` writes as given while the layer holds their truth, as Keras keeps them.
    @exclusivity(unchecked) var givenFlags: [String: JSON] = [:]
    /// The arguments its config gave that Keras's constructor keeps as given but that the layer
    /// cannot use (``LayerDeclaration``'s `checkedWhenBuilt`: `Masking(mask_value="0.0")`, a None
    /// given for a number), which ``getConfig()`` writes back as given, while the layer holds
    /// their stand-ins; building it throws ``keptArgumentsRefusal``, as Keras's layer fails when
    /// it is built or called.
    @exclusivity(unchecked) var keptArguments: [String: JSON] = [:]
    @exclusivity(unchecked) var keptArgumentsRefusal: KerasError?
    /// The seeds a front end drew for the unseeded initializers and generators Keras's `build`
    /// of the layer makes (MultiHeadAttention's copies of its initializers, SpectralNormalization's
    /// `vector_u`), handed over under the config's private key `_build_seeds` and taken in order
    /// by ``takeBuildSeed()``; never written back.
    @exclusivity(unchecked) var buildSeeds: [Int] = []
    /// Whether `build` takes seeds (``takeBuildSeed()``): made from a config, the layer is then
    /// built as soon as it is made, as Keras's deserialization builds it, so that the seeds come
    /// in Keras's order.
    var takesSeedsAtBuild: Bool { false }
    /// The input shape the layer was built with.
    public internal(set) var buildInputShape: [Int?]?
    /// The activation applied by layers that have one (`Dense`, `Activation`); nil otherwise.
    /// Keras: `layer.activation`.
    open var activation: ActivationFunction? { nil }

    /// Replaces the activation of a built or unbuilt layer that has one: Keras's
    /// `layer.activation = f` (Grad-CAM's `model.layers[-1].activation = None` drops a
    /// classifier's softmax). The next call applies it; fused plans read from the layer before
    /// are stale from then on (``planGeneration``). Throws for a layer without an activation.
    public final func setActivation(_ activation: ActivationFunction) throws {
        try replaceActivation(activation)
        planGeneration &+= 1
    }

    /// Stores a new activation (``setActivation(_:)``); layers with one override it.
    open func replaceActivation(_ activation: ActivationFunction) throws {
        throw KerasError.invalidArgument("\(className) '\(name)' has no activation to set")
    }

    /// Counts the changes to the layer that fused plans read from it do not see (a new
    /// activation): a plan made at another count is not used (``DenseStack``, ``PlanLayers``).
    @exclusivity(unchecked) public internal(set) var planGeneration = 0

    /// - Parameters:
    ///   - name: a unique name; by default the snake-cased class name with a counter.
    ///   - inputShape: the shape of one sample, for the first layer of a `Sequential` model.
    ///   - inputDim: shorthand for `inputShape: [inputDim]`.
    ///   - batchSize: a fixed batch size for the first layer.
    public init(name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil,
                inputDim: Int? = nil, batchSize: Int? = nil) {
        self.name = ""
        self.trainable = trainable
        self.name = name ?? LayerNames.unique(for: Self.defaultName(of: String(describing: type(of: self))))
        supportsMasking = type(of: self).maskingSupport == .always
        if let inputShape {
            batchInputShape = [batchSize] + inputShape.map { Optional($0) }
        } else if let inputDim {
            batchInputShape = [batchSize, inputDim]
        }
    }

    /// Snake case of a class name: `BatchNormalization` → `batch_normalization`.
    static func defaultName(of className: String) -> String { kerasSnakeCase(className) }

    /// The Keras class name used in configs and summaries.
    open var className: String { String(describing: type(of: self)) }

    /// The name of Keras's Python class where Keras exports it under another (`className`):
    /// GroupQueryAttention's class is `GroupedQueryAttention`, which names its `.weights.h5`
    /// paths and its legacy `.h5` config entries.
    open var pythonClassName: String { className }

    // MARK: The contract

    /// Creates the weights for inputs of `inputShape` (batch dimension first, nil when unknown).
    open func build(_ inputShape: [Int?]) throws {}

    /// Keras's call arguments of a layer whose inputs after the first go under a keyword: the
    /// first input's name and the keyword (RNN: `sequences`, `initial_state`); nil when all
    /// inputs are one positional argument. Functional configs' `inbound_nodes` and
    /// `build_config` follow it.
    open var trailingInputsArgument: (first: String, rest: String)? { nil }

    /// Creates the weights for a layer with several inputs; by default builds from the first.
    open func build(shapes: [[Int?]]) throws {
        guard shapes.count == 1 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes one input, got \(shapes.count)")
        }
        try build(shapes[0])
    }

    /// The forward computation on one input. Simple layers override this one.
    ///
    /// By default it forwards to ``call(_:mask:training:)`` (for layers that override only the
    /// general entry point) and returns its single output.
    open func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard !forwardingToGeneralCall else {
            throw KerasError.invalidState("\(className) '\(name)' does not implement call(_:training:)")
        }
        forwardingToGeneralCall = true
        defer { forwardingToGeneralCall = false }
        return try singleOutput(call([inputs], mask: nil, training: training))
    }

    /// The forward computation on several inputs; by default requires exactly one.
    open func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        guard inputs.count == 1 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes one input, got \(inputs.count)")
        }
        return try call(inputs[0], training: training)
    }

    /// The general forward computation: any number of inputs and outputs, with the inputs' masks
    /// (nil when none has one). Layers with several outputs (`LSTM(returnState: true)`) or that
    /// read the mask override this; by default it runs ``call(_:training:)-(_,Bool)`` and
    /// returns one output. Keras: `call(inputs, training=None, mask=None)`.
    open func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        [try call(inputs, training: training)]
    }

    /// Whether a functional call passes the inputs as separate positional arguments, as
    /// Keras's `MultiHeadAttention()(query, value)`, rather than as one list (`Add()([a, b])`).
    open var takesPositionalInputs: Bool { false }

    /// Whether a functional call passes the first input, then the others as one list, as
    /// Keras's `cell(inputs, states)` (read with ``takesPositionalInputs``).
    open var takesStatesList: Bool { false }

    /// The names of `build`'s shape arguments when it takes one per input (Keras's
    /// `MultiHeadAttention.build(query_shape, value_shape, key_shape)`): a saved `build_config`
    /// then holds them as `shapes_dict` rather than one `input_shape` list.
    open var buildShapeArgumentNames: [String]? { nil }

    /// The non-tensor keyword arguments of the layer's functional calls (Keras's node `kwargs`,
    /// `{"use_causal_mask": true}`), written into each node of a functional config.
    open var callKeywordArguments: JSON { .object([]) }

    /// Takes a functional node's keyword arguments read from a config (tensors already removed
    /// into the node's inputs); by default ignores them.
    open func applyCallKeywordArguments(_ kwargs: JSON) throws {}

    /// True for a layer whose call keywords may differ from one functional call to the next
    /// (ReversibleEmbedding's `reverse`): each node keeps ``callKeywordArguments`` as they were
    /// at its call, writes them in its `kwargs` and applies them before it runs.
    open var callKeywordsPerNode: Bool { false }

    /// True for layers whose `call` computes the masks of its outputs (models), so that the
    /// masks are taken from the call rather than from ``computeMask(_:mask:)``.
    @exclusivity(unchecked) var computesMasksInCall = false

    /// Set once Keras's warning about a dropped mask was given for this layer.
    private var warnedMaskDropped = false

    /// Set while the one-input `call` tries the general one, so that a layer overriding neither
    /// reports it instead of recursing.
    private var forwardingToGeneralCall = false

    func singleOutput(_ outs: [Tensor]) throws -> Tensor {
        guard outs.count == 1 else {
            throw KerasError.invalidArgument("\(className) '\(name)' returns \(outs.count) tensors; call it with callMultiple(_:)")
        }
        return outs[0]
    }

    /// The output shape for an input shape, without computing anything.
    open func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }

    /// The output shape for several inputs; by default the single-input version.
    open func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count == 1 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes one input, got \(shapes.count)")
        }
        return try computeOutputShape(shapes[0])
    }

    /// The shape of every output, for layers that return several tensors; by default the one
    /// output of ``computeOutputShape(shapes:)``.
    open func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        [try computeOutputShape(shapes: shapes)]
    }

    // MARK: Masks and training mode

    /// Whether the layer passes masks on (by default unchanged, through ``computeMask(_:mask:)``).
    /// A layer that does not support masking drops the mask of its input, as Keras does (with a
    /// warning). Keras: `supports_masking`. Set from the class's ``maskingSupport`` when the
    /// layer is made.
    @exclusivity(unchecked) public var supportsMasking = false

    /// When the class's layers support masking; `.always` sets ``supportsMasking``. A class
    /// property, so that the catalogue lists it (Python's layers read it there).
    class var maskingSupport: MaskingSupport { .never }

    /// Whether Keras's class has a `compute_mask` of its own (Embedding, Masking, the merge,
    /// attention and recurrent layers, GlobalAveragePooling1D, Lambda): its output's mask is
    /// what that computes (a new mask, none, or the input's kept only in some modes), set even
    /// where the class does not support masking, instead of the input's passed on. A class
    /// property, so that the catalogue lists it (Python's layers read it there).
    class var computesOwnMask: Bool { false }

    /// The mask of the output for one input and its mask (true or nonzero: the value counts);
    /// by default the input's mask. Keras: `compute_mask(inputs, previous_mask)`.
    open func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? { mask }

    /// Whether the layer's output is its input itself, unchanged, for an input of `shape` (batch
    /// first): a Reshape to the input's own shape, Permute's identity, a crop of nothing. Keras's
    /// mask is an attribute of the tensor, and the jax backend's reshape, transpose or full slice
    /// of an array is the array itself, so the output keeps the mask even where the layer does
    /// not support masking (as the same layers after an Embedding(mask_zero=True) show).
    open func returnsItsInput(_ shape: [Int?]) -> Bool { false }

    /// Whether a call with `training` returns its input itself: the layers of
    /// ``returnsItsInput(_:)``, Dropout and the noise layers where they draw nothing (at
    /// inference), Identity, ActivityRegularization, a linear Activation. A Keras mask set or
    /// cleared on the one is then on the other (``ClearedMasks``).
    func returnsItsInput(_ shape: [Int?], training: Bool) -> Bool { returnsItsInput(shape) }

    /// Whether Keras's `call` of this layer takes `mask` for its one input (the recurrent layers,
    /// BatchNormalization, GlobalAveragePooling1D, Softmax, TimeDistributed): Keras gives it the
    /// input's mask when the graph is built and records it in the node, so a mask cleared at run
    /// time (``ClearedMasks``) still reaches it. A class property, so that the catalogue lists
    /// it (Python's layers read it there).
    class var callTakesMask: Bool { false }
    /// The class's ``callTakesMask``.
    final var callTakesMask: Bool { type(of: self).callTakesMask }

    /// The masks of the outputs for several inputs: by default, with one input the one-input
    /// version, otherwise the inputs' masks paired with the outputs in order (Keras's default).
    open func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        inputs.count == 1 ? [try computeMask(inputs[0], mask: masks.first ?? nil)] : masks
    }

    /// True for layers whose training behaviour is off while they are frozen: with
    /// `trainable == false` they run in inference mode even when training
    /// (`BatchNormalization` in Keras 3).
    open var trainingFollowsTrainable: Bool { false }

    /// The training flag this layer's `call` receives for a requested one.
    @inline(__always)
    final func effectiveTraining(_ training: Bool) -> Bool {
        training && (trainable || !trainingFollowsTrainable)
    }

    /// The constructor's arguments in Keras's config form: `name`, `trainable`, `dtype`, then
    /// the arguments of the class's ``LayerDeclaration`` as this instance holds them. A class
    /// without a declaration (a custom layer) adds its own to `super`'s.
    ///
    /// As in Keras 3, a declared input shape is not part of a layer's config (models carry it as
    /// an `InputLayer`); Keras 3 refuses to load a layer config holding `batch_input_shape`.
    open func getConfig() -> JSON {
        var c: JSON = ["name": .string(name), "trainable": .bool(trainable), "dtype": Layer.dtypePolicy]
        // Keras's base `get_config` writes a set activity regularizer of every layer here; a
        // class that declares the argument writes it again at its own place (same value).
        if let activityRegularizer, configHoldsActivityRegularizer {
            c.set("activity_regularizer", activityRegularizer.serialized)
        }
        declaration?.writeArguments(of: self, into: &c)
        return c
    }

    /// Whether ``getConfig()`` writes a set ``activityRegularizer`` (Keras's base config does;
    /// a class whose own arguments make it, such as ActivityRegularization, leaves it out).
    open var configHoldsActivityRegularizer: Bool { true }

    static let dtypePolicy: JSON = [
        "module": "keras", "class_name": "DTypePolicy", "config": ["name": "float32"], "registered_name": nil,
    ]

    // MARK: Weights

    /// Creates a weight owned by this layer. Keras: `add_weight`.
    @discardableResult
    public func addWeight(name: String, shape: [Int], initializer: Initializer = VarianceScaling.glorotUniform(),
                          trainable: Bool = true, regularizer: Regularizer? = nil,
                          constraint: Constraint? = nil, dtype: VariableDType = .float32) -> Variable {
        // A shape from a hostile or mistaken config must not trap or allocate without bound:
        // the weight is left empty and `ensureBuilt` reports the error after `build` returns.
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, p <= Layer.maxWeightValues else {
                oversizedWeight = "\(className) '\(self.name)': weight '\(name)' of shape \(shape) has more than \(Layer.maxWeightValues) values (or a negative dimension)"
                return Variable(Tensor(shape: [0]), name: name, trainable: trainable)
            }
            count = p
        }
        if let why = MemoryBudget.charge(count * MemoryLayout<Float>.size) {
            oversizedWeight = "\(className) '\(self.name)': weight '\(name)' of shape \(shape) \(why)"
            return Variable(Tensor(shape: [0]), name: name, trainable: trainable)
        }
        if let constant = initializer as? Constant {
            do { try constant.check(shape) } catch {
                // Keras refuses an array value that does not broadcast to the weight's shape.
                oversizedWeight = "\(className) '\(self.name)': weight '\(name)': \((error as? KerasError)?.message ?? "\(error)")"
                return Variable(Tensor(shape: [0]), name: name, trainable: trainable)
            }
        }
        let v = InitialValues.weight(shape, initializer, name: name, trainable: trainable, constraint: constraint, dtype: dtype)
        v.path = NameScope.path(of: name, in: self)
        if !self.trainable { v.trainable = false }
        variables.append(v)
        if let regularizer { weightRegularizers.append((v, regularizer)) }
        return v
    }

    /// Adds a non-trainable int8 / uint8 weight holding `bytes` (a quantized layer's values,
    /// written straight in: no float value is made for it).
    func addByteWeight(name: String, shape: [Int], bytes: [UInt8], dtype: VariableDType) throws -> Variable {
        let v = try Variable(bytes: bytes, shape: shape, name: name, dtype: dtype)
        v.path = NameScope.path(of: name, in: self)
        variables.append(v)
        return v
    }

    /// Takes `other`'s weights as this layer's own, after those it has, with their regularizers:
    /// a layer subclassing a built-in one (Keras: `class MyDense(keras.layers.Dense)`), whose
    /// `super().build` creates the weights on the subclass.
    func adoptWeights(of other: Layer) {
        for v in other.variables {
            if !trainable { v.trainable = false }
            variables.append(v)
        }
        weightRegularizers += other.weightRegularizers
    }

    /// Takes another layer's weight as one of this layer's own too (Keras: a weight assigned to
    /// an attribute, as SpectralNormalization's `self.kernel = self.layer.kernel`); the layer's
    /// weights list it once.
    func adoptWeight(_ v: Variable) { variables.append(v) }

    /// Takes the layer's weights (and their regularizers) away, so that building it again adds
    /// them back (a traced call traced again, ``CallbackLayer``); ``restoreWeights(_:)`` puts
    /// them back as they were.
    func takeWeights() -> (variables: [Variable], regularizers: [(Variable, Regularizer)]) {
        defer { variables.removeAll(); weightRegularizers.removeAll() }
        return (variables, weightRegularizers)
    }

    /// Puts back the weights ``takeWeights()`` took, in place of any the layer has now.
    func restoreWeights(_ taken: (variables: [Variable], regularizers: [(Variable, Regularizer)])) {
        variables = taken.variables
        weightRegularizers = taken.regularizers
    }

    /// The most values one weight may hold (8 GiB of float32).
    public static let maxWeightValues = 1 << 31
    /// Set by `addWeight` when a requested shape is too large; thrown by `ensureBuilt`.
    var oversizedWeight: String?

    /// The layers held in stored properties, in declaration order (Keras: tracked sublayers);
    /// their weights, losses and `trainable` flag belong to this layer too.
    public var sublayers: [Layer] { trackedSublayers().layers }
    /// Keras attribute names for properties whose snake-cased Swift name differs from Keras's
    /// (`["fwd": "forward_layer"]`); they name sublayers in saved files.
    open var sublayerAttributeNames: [String: String] { [:] }
    /// Sublayers held elsewhere than in stored properties, under their Keras attribute names
    /// (a plugin layer's traced call: the layers its `call` called, ``OpGraph/sublayers``);
    /// tracked after the stored properties' ones.
    open var hostedSublayers: [(name: String, layers: [Layer], isList: Bool)] { [] }

    /// Weights that training updates: those with the `trainable` flag, none when the layer is
    /// frozen. Keras: `trainable_weights`.
    open var trainableWeights: [Variable] {
        guard trainable else { return [] }
        var out: [Variable] = []
        appendWeights(to: &out, trainable: true)
        return out
    }
    /// Weights that training leaves alone (all of them when the layer is frozen).
    open var nonTrainableWeights: [Variable] {
        var out: [Variable] = []
        appendWeights(to: &out, trainable: trainable ? false : nil)
        return out
    }
    /// All weights, with the sublayers', in Keras's order: own weights created trainable, own
    /// non-trainable ones, then each sublayer's.
    open var weights: [Variable] {
        var out: [Variable] = []
        appendWeights(to: &out, trainable: nil)
        return out
    }

    /// Forgets the calls of `holder`, a private model of the layer's first call (a binding's,
    /// for a layer Keras builds alone, outside any model), before a model made of the layer holds
    /// it: that model's call is its node 0, as Keras's first node, and its weights' paths lose
    /// `holder`'s name (Keras's `dense/kernel` of a layer built alone). The two models then hold
    /// the same variables.
    public func forgetCalls(ofPrivateModel holder: Model) {
        callCount = 0
        let prefix = holder.name + "/"
        for v in weights where v.path.hasPrefix(prefix) { v.path.removeFirst(prefix.count) }
    }

    /// The layer's own seed generators (Keras: the `SeedGenerator`s it holds, whose states are in
    /// `layer.variables` but not in its weights); their states are not saved, as in Keras.
    open var seedGenerators: [SeedGenerator] { [] }

    /// Copies of the weight values. Keras: `get_weights()`.
    public func getWeights() -> [Tensor] { weights.map { $0.numpy } }

    /// Replaces the weight values; count and shapes must match. Keras: `set_weights()`.
    public func setWeights(_ values: [Tensor]) throws {
        let ws = weights
        guard values.count == ws.count else {
            throw KerasError.shapeMismatch("\(className) '\(name)'.setWeights: expected \(ws.count) arrays, got \(values.count)")
        }
        for (w, v) in zip(ws, values) where w.shape != v.shape {
            throw KerasError.shapeMismatch("\(className) '\(name)'.setWeights: weight '\(w.path)' has shape \(w.shape), got \(v.shape)")
        }
        for (w, v) in zip(ws, values) { try w.assign(v) }
    }

    /// The weight named `name` (`kernel`, `bias`), as `layer.kernel` in Keras.
    public func weight(_ name: String) -> Variable? { variables.first { $0.name == name } }

    /// The number of weight values. Throws when the layer is not built.
    public func countParams() throws -> Int {
        guard built else {
            throw KerasError.invalidState("\(className) '\(name)' is not built yet, so its weights do not exist: call it on data or give it an input shape")
        }
        return weights.reduce(0) { $0 + $1.count }
    }

    // MARK: Calling

    /// Builds the layer for `shape` once.
    func ensureBuilt(_ shapes: [[Int?]]) throws {
        if let keptArgumentsRefusal { throw keptArgumentsRefusal }
        if built { return }
        try NameScope.run(self) {
            if shapes.count == 1 { try build(shapes[0]) } else { try build(shapes: shapes) }
            invalidateTrackedSublayers()
            buildSublayersByCalling(shapes)
        }
        if let oversizedWeight {
            self.oversizedWeight = nil
            variables.removeAll()
            weightRegularizers.removeAll()
            throw KerasError.shapeMismatch(oversizedWeight)
        }
        buildInputShape = shapes.first
        built = true
    }

    /// Runs the layer eagerly on `inputs`, building it first if needed, collecting activity
    /// penalties when training or in a test step. Without `training`, the enclosing call's flag, else inference.
    public func callEager(_ inputs: [Tensor], training: Bool? = nil) throws -> Tensor {
        let t = training ?? CallContext.training ?? false
        if training == nil || CallContext.training == t {
            return try callEager(inputs: inputs, training: t)
        }
        return try CallContext.with(training: t) { try callEager(inputs: inputs, training: t) }
    }

    private func callEager(inputs: [Tensor], training: Bool) throws -> Tensor {
        if inputs.count == 1 { return try callEager(single: inputs[0], training: training) }
        return try singleOutput(callWithMasks(inputs, masks: nil, training: training).outputs)
    }

    /// ``callEager(_:training:)`` for one input, without wrapping it in an array: the fast path
    /// of `Sequential` when no mask flows.
    func callEager(single x: Tensor, training: Bool) throws -> Tensor {
        if !built { try ensureBuilt([[nil] + x.shape.dropFirst().map { Optional($0) }]) }
        return try withActivityPenalty(call(x, training: effectiveTraining(training)), training: training)
    }

    /// Runs the layer on inputs with masks and returns its outputs with their masks (nil when
    /// no output has one): Keras's `__call__` with `_set_mask_metadata`.
    func callWithMasks(_ inputs: [Tensor], masks: [Tensor?]?, training: Bool) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        if !built { try ensureBuilt(inputs.map { t in [nil] + t.shape.dropFirst().map { Optional($0) } }) }
        let (outs, outMasks) = try runCall(inputs, masks: masks, training: effectiveTraining(training))
        if activityRegularizer != nil, training || CallContext.collectsLosses {
            for o in outs { _ = try withActivityPenalty(o, training: true) }
        }
        return (outs, outMasks)
    }

    /// The call and the masks of its outputs; nested models override it to return the masks
    /// their own graph computed.
    func runCall(_ inputs: [Tensor], masks: [Tensor?]?, training: Bool) throws -> ([Tensor], [Tensor?]?) {
        let outs = try call(inputs, mask: masks, training: training)
        if !supportsMasking, !warnedMaskDropped, let masks, masks.contains(where: { $0 != nil }) {
            warnedMaskDropped = true
            CallContext.warn("Layer '\(name)' (of type \(className)) was passed an input with a mask attached to it. However, this layer does not support masking and will therefore destroy the mask information. Downstream layers will not see the mask.")
        }
        return (outs, try outputMasks(inputs, count: outs.count, masks: masks))
    }

    /// The masks of the `count` outputs of a call on `inputs` given `masks` (nil: none has one):
    /// ``computeMask(_:masks:)``'s where the layer supports masking; otherwise none, but for a
    /// call returning its input itself, which keeps its mask (Keras warns all the same).
    func outputMasks(_ inputs: [Tensor], count: Int, masks: [Tensor?]?) throws -> [Tensor?]? {
        guard supportsMasking else {
            if inputs.count == 1, count == 1, let mask = masks?.first ?? nil,
               returnsItsInput(inputs[0].shape.map { Optional($0) }) {
                return [mask]
            }
            return nil
        }
        let given = masks ?? Array(repeating: nil, count: inputs.count)
        let computed = try computeMask(inputs, masks: given)
        guard computed.contains(where: { $0 != nil }) else { return nil }
        return (0..<count).map { $0 < computed.count ? computed[$0] : nil }
    }

    private func withActivityPenalty(_ out: Tensor, training: Bool) throws -> Tensor {
        if let activityRegularizer, training || CallContext.collectsLosses {
            let batch = Float(Swift.max(out.shape.first ?? 1, 1))
            losses.append(try activityRegularizer(out) / batch)
        }
        return out
    }

    /// Runs the layer on a tensor and returns its output, as `layer(x)` in Keras. Without
    /// `training`, the enclosing call's flag, else inference.
    public func callAsFunction(_ x: Tensor, training: Bool? = nil) throws -> Tensor {
        try callEager([x], training: training)
    }

    /// Runs the layer on several tensors (merge layers).
    public func callAsFunction(_ xs: [Tensor], training: Bool? = nil) throws -> Tensor {
        try callEager(xs, training: training)
    }

    /// Runs a layer that returns several tensors (`LSTM(returnState: true)`) and returns them all.
    public func callMultiple(_ xs: [Tensor], training: Bool? = nil) throws -> [Tensor] {
        try callMultiple(xs, masks: nil, training: training).outputs
    }

    /// Runs the layer on tensors with their masks and returns every output with its mask.
    public func callMultiple(_ xs: [Tensor], masks: [Tensor?]?, training: Bool? = nil) throws -> (outputs: [Tensor], masks: [Tensor?]?) {
        let t = training ?? CallContext.training ?? false
        return try CallContext.with(training: t) { try callWithMasks(xs, masks: masks, training: t) }
    }

    /// Clears penalties collected by the previous step.
    func clearLosses() { losses.removeAll(keepingCapacity: true) }

    /// Adds a penalty to the loss of the training or test step in progress. Keras: `add_loss`.
    public func addLoss(_ penalty: Tensor) { losses.append(penalty) }
}

/// Hands out unique default layer names (`dense`, `dense_1`, ...), as Keras does per session.
public enum LayerNames {
    private static let mutex = Mutex()
    nonisolated(unsafe) private static var counts: [String: Int] = [:]

    static func unique(for base: String) -> String {
        if probe.value.depth > 0 { return base }
        return mutex.withLock {
            let n = counts[base, default: 0]
            counts[base] = n + 1
            return n == 0 ? base : "\(base)_\(n)"
        }
    }

    /// Forgets issued names so numbering starts again. Keras: `keras.backend.clear_session()`.
    public static func reset() { mutex.withLock { counts.removeAll() } }

    private final class Probe { var depth = 0 }
    private static let probe = ThreadLocal { Probe() }

    /// Runs `body`, which makes objects only to look at them (``validateLayerArguments(_:)``),
    /// without counting the names they take on this thread: the next layer made is named as if
    /// they had not been.
    static func probing<T>(_ body: () throws -> T) rethrows -> T {
        let p = probe.value
        p.depth += 1
        defer { p.depth -= 1 }
        return try body()
    }
}

/// Resets the default layer names. Keras: `keras.backend.clear_session()`.
public func clearSession() { LayerNames.reset() }
