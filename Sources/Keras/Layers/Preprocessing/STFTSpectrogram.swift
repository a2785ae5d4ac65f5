/// The short-time Fourier transform of 1-D signals `(batch, time, channels)` (channels-last) as
/// a strided convolution of each channel with the ``STFT`` initializer's real and imaginary
/// kernels, which train like any weight. `mode` picks the output: `log` (log magnitude, the
/// default), `magnitude`, `psd` (power, the inner bins doubled), `real`, `imag`, `angle`, or
/// `stft` (real then imaginary bins). Output `(batch, frames, channels · bins)`, or with
/// `expandDims` `(batch, frames, bins, channels)`; channels-first swaps as Keras does.
/// Keras: `keras.layers.STFTSpectrogram`.
///
/// ```swift
/// let layer = try STFTSpectrogram(mode: "log", frameLength: 256, frameStep: 128, fftLength: 512)
/// try layer(Tensor(shape: [3, 16000, 1]))   // shape [3, 124, 257]
/// ```
public final class STFTSpectrogram: Layer, @unchecked Sendable {
    public enum Mode: String, CaseIterable, Sendable, LayerArgumentValue {
        case log, magnitude, psd, real, imag, angle, stft
        public var configValue: JSON { .string(rawValue) }
    }

    public let mode: Mode
    public let frameLength: Int
    /// The hop between frames as given; nil for half a frame.
    public let frameStep: Int?
    /// The FFT size as given; nil for the smallest power of two not below `frameLength`.
    public let fftLength: Int?
    public let window: SignalWindow?
    public let periodic: Bool
    public let scaling: STFT.Scaling?
    public let padding: ConvPadding
    public let expandDims: Bool
    public let dataFormat: DataFormat
    @exclusivity(unchecked) public private(set) var realKernel: Variable?
    @exclusivity(unchecked) public private(set) var imagKernel: Variable?

    public init(mode: String = "log", frameLength: Int = 256, frameStep: Int? = nil, fftLength: Int? = nil,
                window: SignalWindow? = .named("hann"), periodic: Bool = false, scaling: String? = "density",
                padding: String = "valid", expandDims: Bool = false, dataFormat: DataFormat = .channelsLast,
                name: String? = nil, trainable: Bool = true) throws {
        let who = "STFTSpectrogram"
        guard let m = Mode(rawValue: mode) else {
            throw KerasError.invalidArgument("\(who): output mode is invalid, it must be one of \(Mode.allCases.map(\.rawValue).joined(separator: ", ")), got mode='\(mode)'")
        }
        guard frameLength > 0, frameLength <= 1 << 20 else {
            throw KerasError.invalidArgument("\(who): frame_length must be a positive integer (at most 2^20), got \(frameLength)")
        }
        if let frameStep, frameStep < 1 || frameStep > frameLength {
            throw KerasError.invalidArgument("\(who): `frame_step` should be a positive integer not greater than `frame_length`. Received frame_step=\(frameStep), frame_length=\(frameLength)")
        }
        if let fftLength, fftLength < frameLength || fftLength > 1 << 22 {
            throw KerasError.invalidArgument("\(who): `fft_length` should be not less than `frame_length` (and at most 2^22). Received fft_length=\(fftLength), frame_length=\(frameLength)")
        }
        guard padding == "valid" || padding == "same" else {
            throw KerasError.invalidArgument("\(who): padding is invalid, it should be 'valid', 'same'. Received: padding='\(padding)'")
        }
        // The kernels' initializer checks the scaling and window now, as Keras's constructor does.
        let initializer = try STFT(side: "real", window: window, scaling: scaling, periodic: periodic)
        if let window { _ = try window.values(length: frameLength, periodic: periodic, owner: who) }
        self.mode = m
        self.frameLength = frameLength
        self.frameStep = frameStep
        self.fftLength = fftLength
        self.window = window
        self.periodic = periodic
        self.scaling = initializer.scaling
        self.padding = padding == "same" ? .same : .valid
        self.expandDims = expandDims
        self.dataFormat = dataFormat
        super.init(name: name, trainable: trainable)
    }

    /// The hop between frames in use.
    public var step: Int { frameStep ?? frameLength / 2 }
    /// The FFT size in use.
    public var fftSize: Int {
        if let fftLength { return fftLength }
        var n = 1
        while n < frameLength { n <<= 1 }
        return n
    }
    /// The frequency bins of one channel: `fftSize / 2 + 1`.
    public var bins: Int { fftSize / 2 + 1 }

    private func kernelInitializer(_ side: String) throws -> STFT {
        try STFT(side: side, window: window, scaling: scaling?.rawValue, periodic: periodic)
    }

    public override func build(_ inputShape: [Int?]) throws {
        guard inputShape.count == 3 else {
            throw KerasError.shapeMismatch("STFTSpectrogram '\(name)' expects inputs of rank 3 (batch, time, channels), got shape \(formatShape(inputShape))")
        }
        let shape = [frameLength, 1, bins]
        if mode != .imag { realKernel = addWeight(name: "real_kernel", shape: shape, initializer: try kernelInitializer("real")) }
        if mode != .real { imagKernel = addWeight(name: "imag_kernel", shape: shape, initializer: try kernelInitializer("imag")) }
    }

    /// Each channel convolved with `kernel`: `(batch, channels, frames, bins)`.
    private func convolve(_ x: Tensor, _ kernel: Tensor) throws -> Tensor {
        let (b, c, t) = dataFormat == .channelsLast ? (x.shape[0], x.shape[2], x.shape[1]) : (x.shape[0], x.shape[1], x.shape[2])
        let signals = dataFormat == .channelsLast ? try Ops.transpose(x, [0, 2, 1]) : x
        let out = try Ops.conv(Ops.reshape(signals, [b * c, t, 1]), kernel: kernel, bias: nil, strides: [step],
                               padding: padding, dilation: [1])
        return try Ops.reshape(out, [b, c, out.shape[1], bins])
    }

    /// `(batch, channels, frames, bins)` in the layer's output layout.
    private func arranged(_ y: Tensor) throws -> Tensor {
        let (b, c, t, f) = (y.shape[0], y.shape[1], y.shape[2], y.shape[3])
        switch (dataFormat, expandDims) {
        case (.channelsLast, true): return try Ops.transpose(y, [0, 2, 3, 1])
        case (.channelsLast, false): return try Ops.reshape(Ops.transpose(y, [0, 2, 1, 3]), [b, t, c * f])
        case (.channelsFirst, true): return y
        case (.channelsFirst, false): return try Ops.reshape(Ops.transpose(y, [0, 1, 3, 2]), [b, c * f, t])
        }
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard x.rank == 3 else {
            throw KerasError.shapeMismatch("STFTSpectrogram '\(name)' expects inputs of rank 3 (batch, time, channels), got shape \(x.shape)")
        }
        let real = try realKernel.map { try convolve(x, $0.value) }
        let imag = try imagKernel.map { try convolve(x, $0.value) }
        switch (mode, real, imag) {
        case (.real, let r?, _): return try arranged(r)
        case (.imag, _, let i?): return try arranged(i)
        case (.angle, let r?, let i?): return try arranged(Ops.arctan2(i, r))
        case (.stft, let r?, let i?): return try arranged(Ops.concatenate([r, i], axis: 3))
        case (.psd, let r?, let i?):
            let power = try Ops.add(Ops.square(r), Ops.square(i))
            let doubled = Tensor((0..<bins).map { Float($0 == 0 || $0 == bins - 1 ? 1 : 2) })
            return try arranged(Ops.multiply(power, doubled))
        case (.magnitude, let r?, let i?), (.log, let r?, let i?):
            let eps = Tensor(Float(1e-7))
            let power = try Ops.add(Ops.square(r), Ops.square(i))
            let magnitude = try arranged(Ops.sqrt(Ops.maximum(power, eps)))
            if mode == .magnitude { return magnitude }
            return try Ops.log(Ops.maximum(magnitude, eps))
        default:
            throw KerasError.invalidState("STFTSpectrogram '\(name)': the kernels of mode '\(mode.rawValue)' are missing")
        }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == 3 else {
            throw KerasError.shapeMismatch("STFTSpectrogram '\(name)' expects inputs of rank 3 (batch, time, channels), got shape \(formatShape(inputShape))")
        }
        let (channels, time) = dataFormat == .channelsLast ? (inputShape[2], inputShape[1]) : (inputShape[1], inputShape[2])
        let f = mode == .stft ? 2 * bins : bins
        var frames: Int? = nil
        if let time {
            guard let (n, _) = Ops.windowLength(time, window: frameLength, stride: step, dilation: 1, padding: padding) else {
                throw KerasError.shapeMismatch("STFTSpectrogram '\(name)': a signal of \(time) samples is shorter than frame_length \(frameLength) with padding 'valid'")
            }
            frames = n
        }
        switch (dataFormat, expandDims) {
        case (.channelsLast, true): return [inputShape[0], frames, f, channels]
        case (.channelsLast, false): return [inputShape[0], frames, channels.map { $0 * f }]
        case (.channelsFirst, true): return [inputShape[0], channels, frames, f]
        case (.channelsFirst, false): return [inputShape[0], channels.map { $0 * f }, frames]
        }
    }
}

extension STFTSpectrogram: DeclaredLayer {
    /// Keras: `STFTSpectrogram(mode="log", frame_length=256, frame_step=None, fft_length=None,
    /// window="hann", periodic=False, scaling="density", padding="valid", expand_dims=False,
    /// data_format=None)`.
    public static let declaration = LayerDeclaration(
        STFTSpectrogram.self,
        constructorOrder: ["mode", "frame_length", "frame_step", "fft_length", "window", "periodic", "scaling", "padding",
                           "expand_dims", "data_format"],
        arguments: [
            .optional("mode", \.mode, default: .log),
            .optional("frame_length", \.frameLength, default: 256),
            .optional("frame_step", \.frameStep, default: nil),
            .optional("fft_length", \.fftLength, default: nil),
            .optional("window", default: "hann") { $0.window?.configValue ?? .null },
            .optional("periodic", \.periodic, default: false),
            .optional("scaling", default: "density") { $0.scaling.map { .string($0.rawValue) } ?? .null },
            .optional("padding", default: "valid") { .string($0.padding.rawValue) },
            .optional("data_format", \.dataFormat, default: .channelsLast),
            .optional("expand_dims", \.expandDims, default: false),
        ]) { c in
            // `window: null` and `scaling: null` mean none, not the default.
            try c.refuseNone("frame_length")
            return try STFTSpectrogram(mode: c.string("mode"), frameLength: c.int("frame_length"),
                                       frameStep: c.optionalInt("frame_step"), fftLength: c.optionalInt("fft_length"),
                                       window: SignalWindow.configured(c.json["window"], owner: "STFTSpectrogram config"),
                                       periodic: c.bool("periodic", default: false), scaling: STFT.scalingName(c.json["scaling"]),
                                       padding: c.string("padding"), expandDims: c.bool("expand_dims", default: false),
                                       dataFormat: DataFormat.named(c.optionalString("data_format") ?? "channels_last"),
                                       name: c.name)
        }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(STFTSpectrogram.self, $0) }
