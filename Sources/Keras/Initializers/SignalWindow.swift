#if canImport(Glibc)
import Glibc
#endif

/// A window function for spectral analysis, by the name `scipy.signal.get_window` knows it
/// (`"hann"`, `"hamming"`, ...), or given as values. Keras's STFT initializer, `STFTSpectrogram`
/// and `MelSpectrogram` take their `window` argument as either.
public enum SignalWindow: Equatable, Sendable {
    /// A window function by name (one without parameters).
    case named(String)
    /// The window's values, one per sample of a frame.
    case values([Double])

    /// The window in a config: a string or a list of numbers; nil means none.
    public var configValue: JSON {
        switch self {
        case .named(let n): return .string(n)
        case .values(let v): return .array(v.map { .double($0) })
        }
    }

    /// The window a config names (`"hann"`, `[0.5, 1.0, 0.5]`, null); throws naming `owner`.
    public static func from(_ json: JSON?, owner: String) throws -> SignalWindow? {
        guard let json, !json.isNull else { return nil }
        if let name = json.stringValue { return try checked(name, owner: owner) }
        guard let a = json.arrayValue, case let v = a.compactMap(\.doubleValue), v.count == a.count,
              v.allSatisfy(\.isFinite) else {
            throw KerasError.invalidArgument("\(owner): window must be a window function's name, a list of numbers or None, got \(json)")
        }
        return .values(v)
    }

    /// The window a config's `window` key gives: Keras's default `hann` when the key is absent,
    /// none when it is null.
    public static func configured(_ json: JSON?, owner: String) throws -> SignalWindow? {
        json == nil ? .named("hann") : try from(json, owner: owner)
    }

    /// A named window after checking the name, as Keras's `scipy.signal.get_window(window, 1)`.
    public static func checked(_ name: String, owner: String) throws -> SignalWindow {
        guard coefficients(name) != nil else {
            throw KerasError.invalidArgument("\(owner): unknown window type '\(name)' (supported: \(supportedNames.joined(separator: ", ")))")
        }
        return .named(name)
    }

    /// The names this library computes (scipy's windows without parameters, with their aliases).
    public static let supportedNames = ["barthann", "brthan", "bth", "bartlett", "bart", "brt", "blackman", "black", "blk",
                                        "blackmanharris", "blackharr", "bkh", "bohman", "bman", "bmn", "boxcar", "box",
                                        "ones", "rect", "rectangular", "cosine", "halfcosine", "flattop", "flat", "flt",
                                        "hamming", "hamm", "ham", "hann", "han", "nuttall", "nutl", "nut", "triangle",
                                        "triang", "tri"]

    private enum Shape { case cosineSum([Double]), bartlett, triangle, boxcar, cosine, bohman, barthann }

    private static func coefficients(_ name: String) -> Shape? {
        switch name {
        case "hann", "han": return .cosineSum([0.5, 0.5])
        case "hamming", "hamm", "ham": return .cosineSum([0.54, 0.46])
        case "blackman", "black", "blk": return .cosineSum([0.42, 0.50, 0.08])
        case "blackmanharris", "blackharr", "bkh": return .cosineSum([0.35875, 0.48829, 0.14128, 0.01168])
        case "nuttall", "nutl", "nut": return .cosineSum([0.3635819, 0.4891775, 0.1365995, 0.0106411])
        case "flattop", "flat", "flt": return .cosineSum([0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368])
        case "bartlett", "bart", "brt": return .bartlett
        case "triangle", "triang", "tri": return .triangle
        case "boxcar", "box", "ones", "rect", "rectangular": return .boxcar
        case "cosine", "halfcosine": return .cosine
        case "bohman", "bman", "bmn": return .bohman
        case "barthann", "brthan", "bth": return .barthann
        default: return nil
        }
    }

    /// The window's `length` values, symmetric or (`periodic`) the first `length` of one
    /// `length + 1` long, as `scipy.signal.get_window(window, length, fftbins=periodic)`; given
    /// values must number `length`. Throws naming `owner`.
    public func values(length: Int, periodic: Bool, owner: String) throws -> [Double] {
        switch self {
        case .values(let v):
            guard v.count == length else {
                throw KerasError.invalidArgument("\(owner): the shape of `window` must be equal to [\(length)], got a window of \(v.count) values")
            }
            return v
        case .named(let name):
            guard let shape = Self.coefficients(name) else {
                throw KerasError.invalidArgument("\(owner): unknown window type '\(name)'")
            }
            guard length > 1 else { return Array(repeating: 1, count: Swift.max(length, 0)) }
            let m = periodic ? length + 1 : length
            return Array(Self.symmetric(shape, m).prefix(length))
        }
    }

    /// scipy's symmetric window of `m` (> 1) samples.
    private static func symmetric(_ shape: Shape, _ m: Int) -> [Double] {
        let n = (0..<m).map(Double.init), last = Double(m - 1)
        switch shape {
        case .cosineSum(let a):
            return n.map { i in
                let x = -Double.pi + 2 * Double.pi * i / last
                return a.enumerated().reduce(0.0) { s, ka in s + ka.element * Glibc.cos(Double(ka.offset) * x) }
            }
        case .bartlett:
            return n.map { $0 <= last / 2 ? 2 * $0 / last : 2 - 2 * $0 / last }
        case .triangle:
            let half = (1...((m + 1) / 2)).map(Double.init)
            if m % 2 == 0 {
                let w = half.map { (2 * $0 - 1) / Double(m) }
                return w + w.reversed()
            }
            let w = half.map { 2 * $0 / Double(m + 1) }
            return w + w.dropLast().reversed()
        case .boxcar:
            return Array(repeating: 1, count: m)
        case .cosine:
            return n.map { Glibc.sin(Double.pi / Double(m) * ($0 + 0.5)) }
        case .bohman:
            return n.map { i in
                guard i > 0, i < last else { return 0 }
                let f = Swift.abs(-1 + 2 * i / last)
                return (1 - f) * Glibc.cos(Double.pi * f) + 1 / Double.pi * Glibc.sin(Double.pi * f)
            }
        case .barthann:
            return n.map { i in
                let f = Swift.abs(i / last - 0.5)
                return 0.62 - 0.48 * f + 0.38 * Glibc.cos(2 * Double.pi * f)
            }
        }
    }
}
