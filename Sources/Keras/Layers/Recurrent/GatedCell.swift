/// What the built-in gated cells share (``RecurrentCell`` for SimpleRNN, LSTM and GRU,
/// ``ConvLSTMCell``): their activations, bias flags and options, the kernel, recurrent kernel and
/// bias they create from those options, and their dropout masks. Keras: the common part of its
/// cells and its `DropoutRNNCell` mixin.
public class GatedCell: Layer, @unchecked Sendable {
    let activationFunction: ActivationFunction
    let recurrentActivationFunction: ActivationFunction
    public let useBias: Bool
    /// LSTM: the forget gate's bias starts at 1. Keras: `unit_forget_bias`.
    public let unitForgetBias: Bool
    public let options: RecurrentCellOptions

    public private(set) var kernel: Variable?
    public private(set) var recurrentKernel: Variable?
    public private(set) var bias: Variable?
    /// Keras's `seed_generator` of the cell (every cell holds one, as Keras's `DropoutRNNCell`):
    /// each dropout mask of a call draws at its state, which moves on by one.
    public let seedGenerator: SeedGenerator

    /// `options` with its dropout rates checked and clamped; errors name `owner`. The
    /// initializers and the generator take Keras's default seeds in its constructor's order:
    /// the generator first when `generatorFirst` (SimpleRNNCell, ConvLSTMCell), else last.
    init(activation: ActivationFunction, recurrentActivation: ActivationFunction, useBias: Bool, unitForgetBias: Bool,
         options: RecurrentCellOptions, generatorFirst: Bool, owner: String, name: String?) throws {
        var options = try options.clamped(owner)
        let first = generatorFirst ? SeedGenerator.owned(seed: options.seed) : nil
        options.kernelInitializer = withKerasDefaultSeed(options.kernelInitializer)
        options.recurrentInitializer = withKerasDefaultSeed(options.recurrentInitializer)
        options.biasInitializer = withKerasDefaultSeed(options.biasInitializer)
        self.options = options
        activationFunction = activation
        recurrentActivationFunction = recurrentActivation
        self.useBias = useBias
        self.unitForgetBias = unitForgetBias
        seedGenerator = first ?? SeedGenerator.owned(seed: options.seed)
        super.init(name: name)
    }

    public override var seedGenerators: [SeedGenerator] { [seedGenerator] }

    /// Creates the kernel, the recurrent kernel and (with `useBias`) the bias of these shapes with
    /// the options' initializers, regularizers and constraints; `forgetUnits`, when given, is the
    /// width of the forget gate's block whose bias starts at 1 (`unit_forget_bias`).
    func addGateWeights(kernel kernelShape: [Int], recurrentKernel recurrentShape: [Int], bias biasShape: [Int], forgetUnits: Int?) {
        let o = options
        kernel = addWeight(name: "kernel", shape: kernelShape, initializer: o.kernelInitializer,
                           regularizer: o.kernelRegularizer, constraint: o.kernelConstraint)
        recurrentKernel = addWeight(name: "recurrent_kernel", shape: recurrentShape, initializer: o.recurrentInitializer,
                                    regularizer: o.recurrentRegularizer, constraint: o.recurrentConstraint)
        guard useBias else { return }
        let initializer: Initializer = forgetUnits.map { ForgetBias(base: o.biasInitializer, units: $0) } ?? o.biasInitializer
        bias = addWeight(name: "bias", shape: biasShape, initializer: initializer,
                         regularizer: o.biasRegularizer, constraint: o.biasConstraint)
    }

    /// True when a call in training draws dropout masks for the inputs / the state. Keras
    /// drops only for rates strictly between 0 and 1.
    var dropsInputs: Bool { options.dropout > 0 && options.dropout < 1 }
    var dropsState: Bool { options.recurrentDropout > 0 && options.recurrentDropout < 1 }

    /// `count` dropout masks of `shape` (values 0 or `1 / (1 - rate)`) from the cell's seed
    /// generator, which moves on by `count` (Keras draws each mask).
    func dropoutMasks(rate: Double, shape: [Int], count: Int) -> [Tensor] {
        (0..<count).map { _ in dropoutMask(shape, rate: rate, seedGenerator.nextThreefryKey()) }
    }

    /// The masks Keras's cell draws in a call over a sequence, one draw each.
    var dropoutDrawsPerCall: Int { 0 }
}

extension Layer {
    /// Keras's recurrent cells draw their dropout masks in inference too (and apply none): an
    /// inference call over a sequence moves each built-in cell's generator on as a training
    /// call would.
    func passInferenceDropoutDraws() {
        if let cell = self as? GatedCell { cell.seedGenerator.skip(draws: cell.dropoutDrawsPerCall) }
        for layer in sublayers { layer.passInferenceDropoutDraws() }
    }
}
