#if canImport(Glibc)
import Glibc
#endif

/// The kernels of a short-time Fourier transform as a 1-D convolution: for a shape
/// `(frame_length, channels, fft_bins)`, the real (`cos`) or imaginary (`sin`) part of the DFT
/// of `2 (fft_bins - 1)` points, times a window scaled to unit L2 (`density`) or L1
/// (`spectrum`) norm. Keras: `keras.initializers.STFT(side="real", window="hann",
/// scaling="density", periodic=False)` (also `STFTInitializer`, `stft`), the kernels of
/// `STFTSpectrogram`.
///
/// ```swift
/// let real = try STFT(side: "real", window: .named("hann"))
/// let kernel = real([128, 1, 65])   // cos(-2π t f / 128) · hann(t) / ‖hann‖₂
/// ```
public struct STFT: ShapeInitializer {
    public enum Scaling: String, Sendable { case density, spectrum }

    /// Whether the kernel computes the real (`cos`) or the imaginary (`sin`) part.
    public let imaginary: Bool
    public let window: SignalWindow?
    public let scaling: Scaling?
    public let periodic: Bool

    /// Keras's defaults: the real part, a symmetric Hann window, `density` scaling.
    public init() { imaginary = false; window = .named("hann"); scaling = .density; periodic = false }

    public init(side: String = "real", window: SignalWindow? = .named("hann"), scaling: String? = "density",
                periodic: Bool = false) throws {
        guard side == "real" || side == "imag" else {
            throw KerasError.invalidArgument("STFT: side should be 'real' or 'imag', not '\(side)'")
        }
        self.imaginary = side == "imag"
        self.window = window
        self.scaling = try scaling.map { name in
            guard let s = Scaling(rawValue: name) else {
                throw KerasError.invalidArgument("STFT: scaling is invalid, it must be None, 'density' or 'spectrum', got '\(name)'")
            }
            return s
        }
        self.periodic = periodic
    }

    /// The initializer a Keras config describes (`{"side": "imag", "window": "hamming", ...}`).
    init(config: JSON) throws {
        try self.init(side: config["side"]?.stringValue ?? "real",
                      window: SignalWindow.configured(config["window"], owner: "STFT"),
                      scaling: Self.scalingName(config["scaling"]), periodic: config["periodic"]?.boolValue ?? false)
    }

    /// The scaling a config's `scaling` key names: `density` when absent, none when null.
    static func scalingName(_ json: JSON?) -> String? {
        guard let json else { return "density" }
        return json.isNull ? nil : json.stringValue ?? "\(json)"
    }

    public var className: String { "STFT" }
    public var config: JSON {
        ["side": .string(imaginary ? "imag" : "real"), "window": window?.configValue ?? .null,
         "periodic": .bool(periodic), "scaling": scaling.map { .string($0.rawValue) } ?? .null]
    }

    /// Throws, as Keras does, unless `shape` is `(frame_length, channels, fft_bins)` with a window
    /// of `frame_length` values.
    public func check(_ shape: [Int]) throws {
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw KerasError.invalidArgument("STFT: expects a shape (frame_length, input_channels, fft_bins) of positive sizes, got \(shape)")
        }
        _ = try window?.values(length: shape[0], periodic: periodic, owner: "STFT")
    }

    /// The kernel, computed in float32 step by step as Keras does (so that the phase of long
    /// frames rounds as Keras's); a shape ``check(_:)`` refuses gives zeros.
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let t = Tensor(shape: shape)
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }),
              let win = try? window?.values(length: shape[0], periodic: periodic, owner: "STFT").map({ Float($0) }) ?? []
        else { return t }
        let frame = shape[0], channels = shape[1], bins = shape[2]
        var scale: Float = 1
        switch (window == nil ? nil : scaling) {
        case .density?: scale = win.reduce(0) { $0 + $1 * $1 }.squareRoot()
        case .spectrum?: scale = win.reduce(0) { $0 + Swift.abs($1) }
        case nil: break
        }
        let points = Float((bins - 1) * 2), pi = Float.pi
        for i in 0..<frame {
            for f in 0..<bins {
                let arg = (-2 * Float(i)) * (Float(f) / points) * pi
                var v = imaginary ? Glibc.sinf(arg) : Glibc.cosf(arg)
                if window != nil { v = v * win[i] / scale }
                for c in 0..<channels { t.data[(i * channels + c) * bins + f] = v }
            }
        }
        return t
    }
}
