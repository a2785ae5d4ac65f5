#if canImport(Glibc)
import Glibc
#endif
import Keras

/// Status codes of include/keras.h, in the same order.
enum Status: Int32 {
    case ok = 0
    case invalidArgument = 1
    case shape = 2
    case state = 3
    case io = 4
    case callback = 5
    case unknownName = 6
    case data = 7
    case bufferTooSmall = 8
    case `internal` = 9
    case interrupted = 10
    case memory = 11
}

/// What kind of bad argument a KERAS_ERR_INVALID_ARGUMENT was (include/keras.h's
/// keras_error_kind): a bad value of the right type, a value of the wrong type (Python's
/// `TypeError`), an integer out of its range (Python's `OverflowError`), a value Keras names as
/// not implemented (Python's `NotImplementedError`), or one without the method Keras calls on it
/// (Python's `AttributeError`), so that a host raises
/// the exception Keras raises while the status keeps its meaning for C callers.
enum ErrorKind: Int32 {
    case value = 0
    case type = 1
    case overflow = 2
    case notImplemented = 3
    case attribute = 4

    init(of e: KerasError) {
        switch e {
        case .wrongType: self = .type
        case .overflow: self = .overflow
        case .notImplemented: self = .notImplemented
        case .noAttribute: self = .attribute
        case .unknownName(let m) where m.hasPrefix(ObjectRegistry.notLocatedPrefix): self = .type
        default: self = .value
        }
    }
}

/// An error raised by the ABI layer itself (argument checks), with its status code.
struct ABIError: Error {
    let status: Status
    let message: String
    init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// The calling thread's last error message: a `strdup`ed C string freed by the key's destructor
/// when the thread ends, or when the next error replaces it; and its ``ErrorKind``, set with it.
enum LastError {
    static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { free($0) }
        return k
    }()

    /// The kind, stored as the pointer value itself (nothing to free).
    static let kindKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static func set(_ message: String, kind: ErrorKind = .value) {
        if let old = pthread_getspecific(key) { free(old) }
        pthread_setspecific(key, strdup(message))
        pthread_setspecific(kindKey, UnsafeRawPointer(bitPattern: Int(kind.rawValue)))
    }

    static var kind: ErrorKind {
        ErrorKind(rawValue: Int32(truncatingIfNeeded: Int(bitPattern: pthread_getspecific(kindKey)))) ?? .value
    }

    static var pointer: UnsafePointer<CChar>? {
        pthread_getspecific(key).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
    }
}

/// Runs the body of an entry point: every thrown error becomes a status code and a message.
func guarded(_ function: String, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return Status.ok.rawValue
    } catch let e as ABIError {
        LastError.set("\(function): \(e.message)")
        return e.status.rawValue
    } catch let e as KerasError {
        LastError.set("\(function): \(CAdvice.inCTerms(e.message))", kind: ErrorKind(of: e))
        return status(of: e).rawValue
    } catch {
        LastError.set("\(function): \(error)")
        return Status.internal.rawValue
    }
}

/// An entry point that runs training, evaluation or prediction loops: a keras_interrupt request
/// made before it starts is forgotten (unless keras_interrupt_arm came first), and a failure
/// while one is pending is reported as KERAS_ERR_INTERRUPTED.
func guardedLoop(_ function: String, _ body: () throws -> Void) -> Int32 {
    Interruption.begin()
    let rc = guarded(function, body)
    guard rc != Status.ok.rawValue, Interruption.isRequested else { return rc }
    LastError.set("\(function): interrupted (keras_interrupt or Ctrl-C): stopped after the current batch")
    return Status.interrupted.rawValue
}

/// Asks every running fit/evaluate/predict (and search) to stop after its current batch; the
/// call then returns KERAS_ERR_INTERRUPTED. Async-signal-safe.
@_cdecl("keras_interrupt")
public func keras_interrupt() {
    Interruption.request()
}

/// Nonzero: forgets earlier requests, and the next fit/evaluate/predict call keeps the requests
/// made from now on instead of forgetting them when it starts. Zero: disarms.
@_cdecl("keras_interrupt_arm")
public func keras_interrupt_arm(_ on: Int32) {
    Interruption.arm(on != 0)
}

/// keras_interrupt_install's state: how many installs are open, and the SIGINT action the
/// outermost one replaced (restored when the last one closes).
private final class InterruptHandlerSlot: LockedBox, @unchecked Sendable {
    var depth = 0
    #if os(Linux)
    var saved = sigaction()
    #endif
}

private let interruptHandlerSlot = InterruptHandlerSlot()

/// Nonzero: keras_interrupt_arm(1), then keras_interrupt installed as the SIGINT handler (the
/// current handler's flags and mask kept); zero: the handler the outermost install replaced put
/// back, then keras_interrupt_arm(0). One crossing each way where a host makes five (read, arm,
/// install; restore, disarm). Installs nest: only the outermost saves and restores.
@_cdecl("keras_interrupt_install")
public func keras_interrupt_install(_ on: Int32) -> Int32 {
    #if os(Linux)
    let slot = interruptHandlerSlot
    let failure: String? = slot.locked {
        if on != 0 {
            if slot.depth == 0 {
                var current = sigaction()
                guard sigaction(SIGINT, nil, &current) == 0 else {
                    return "sigaction could not read the SIGINT handler (errno \(errno)); nothing installed"
                }
                var ours = current
                ours.__sigaction_handler.sa_handler = { _ in Interruption.request() }
                ours.sa_flags &= ~Int32(SA_SIGINFO)
                // Armed before the handler goes in: a Ctrl-C landing between the installation
                // and the next call's start stops that call instead of being forgotten.
                Interruption.arm(true)
                guard sigaction(SIGINT, &ours, nil) == 0 else {
                    Interruption.arm(false)
                    return "sigaction could not install keras_interrupt (errno \(errno)); nothing installed"
                }
                slot.saved = current
            } else {
                Interruption.arm(true)
            }
            slot.depth += 1
            return nil
        }
        guard slot.depth > 0 else {
            return "keras_interrupt_install(0) without a matching keras_interrupt_install(1)"
        }
        slot.depth -= 1
        if slot.depth == 0 {
            var saved = slot.saved
            _ = sigaction(SIGINT, &saved, nil)
        }
        Interruption.arm(false)   // no call consumed the arming (one that failed before it started)
        return nil
    }
    if let failure {
        LastError.set("keras_interrupt_install: \(failure)")
        return Status.state.rawValue
    }
    return Status.ok.rawValue
    #else
    LastError.set("keras_interrupt_install: installing a SIGINT handler is supported on Linux only; install keras_interrupt yourself")
    return Status.state.rawValue
    #endif
}

func status(of e: KerasError) -> Status {
    switch e {
    case .invalidArgument, .wrongType, .overflow, .notImplemented, .noAttribute: return .invalidArgument
    case .shapeMismatch: return .shape
    case .unknownName: return .unknownName
    case .invalidState: return .state
    case .invalidData: return .data
    case .io: return .io
    case .callbackFailed: return .callback
    case .outOfMemory: return .memory
    }
}

/// The message of the last failed call on this thread; "" when none failed yet.
@_cdecl("keras_last_error")
public func keras_last_error() -> UnsafePointer<CChar> {
    if let p = LastError.pointer { return p }
    return KerasCStrings.empty
}

/// The kind of the last failed call's bad argument (keras_error_kind); KERAS_ERROR_KIND_VALUE
/// when none failed yet or its status was not KERAS_ERR_INVALID_ARGUMENT.
@_cdecl("keras_last_error_kind")
public func keras_last_error_kind() -> Int32 {
    LastError.kind.rawValue
}

/// A short constant name for a status code ("KERAS_ERR_SHAPE").
@_cdecl("keras_status_name")
public func keras_status_name(_ code: Int32) -> UnsafePointer<CChar> {
    KerasCStrings.statusNames[Int(code)] ?? KerasCStrings.unknownStatus
}

/// Frees a string returned by the library. NULL is ignored.
@_cdecl("keras_string_free")
public func keras_string_free(_ s: UnsafeMutablePointer<CChar>?) {
    free(s)
}

enum KerasCStrings {
    static func constant(_ s: String) -> UnsafePointer<CChar> { UnsafePointer(strdup(s)!) }
    nonisolated(unsafe) static let empty = constant("")
    nonisolated(unsafe) static let unknownStatus = constant("KERAS_ERR_UNKNOWN_STATUS")
    nonisolated(unsafe) static let statusNames: [Int: UnsafePointer<CChar>] = {
        let names = ["KERAS_OK", "KERAS_ERR_INVALID_ARGUMENT", "KERAS_ERR_SHAPE", "KERAS_ERR_STATE", "KERAS_ERR_IO",
                     "KERAS_ERR_CALLBACK", "KERAS_ERR_UNKNOWN_NAME", "KERAS_ERR_DATA", "KERAS_ERR_BUFFER_TOO_SMALL",
                     "KERAS_ERR_INTERNAL", "KERAS_ERR_INTERRUPTED", "KERAS_ERR_MEMORY"]
        var out: [Int: UnsafePointer<CChar>] = [:]
        for (i, n) in names.enumerated() { out[i] = constant(n) }
        return out
    }()
}

/// A string the caller owns and frees with keras_string_free.
func ownedCString(_ s: String) throws -> UnsafeMutablePointer<CChar> {
    guard let p = strdup(s) else { throw ABIError(.internal, "out of memory copying a string of \(s.utf8.count) bytes") }
    return p
}

/// Stores a caller-owned string into `out` (which must be non-null).
func give(_ s: String, to out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ what: String) throws {
    guard let out else { throw ABIError(.invalidArgument, "\(what) must not be NULL") }
    out.pointee = try ownedCString(s)
}

/// A C string argument as a Swift string; throws when NULL or not UTF-8.
func string(_ p: UnsafePointer<CChar>?, _ what: String) throws -> String {
    guard let p else { throw ABIError(.invalidArgument, "\(what) must not be NULL") }
    guard let s = String(validatingCString: p) else { throw ABIError(.invalidArgument, "\(what) is not valid UTF-8") }
    return s
}

/// A JSON argument; NULL or "" gives `empty` when allowed.
func json(_ p: UnsafePointer<CChar>?, _ what: String, nullAs empty: JSON? = nil) throws -> JSON {
    if p == nil, let empty { return empty }
    let text = try string(p, what)
    if text.isEmpty, let empty { return empty }
    do {
        return try JSONParser.parse(text)
    } catch let e as KerasError {
        throw ABIError(.invalidArgument, "\(what) is not valid JSON: \(e.message)")
    }
}

func requireOut<T>(_ p: UnsafeMutablePointer<T>?, _ what: String) throws -> UnsafeMutablePointer<T> {
    guard let p else { throw ABIError(.invalidArgument, "\(what) must not be NULL") }
    return p
}

/// Seeds the library's random generator (Keras: keras.utils.set_random_seed): weight
/// initialization, shuffling and dropout then repeat from run to run.
@_cdecl("keras_set_random_seed")
public func keras_set_random_seed(_ seed: Int64) -> Int32 {
    guarded("keras_set_random_seed") {
        guard seed >= 0 else { throw ABIError(.invalidArgument, "seed must not be negative, got \(seed)") }
        setRandomSeed(Int(seed))
    }
}

/// The library's copy of numpy's global generator, which fit's shuffles draw from: 624 key
/// words into `key` and the position into `position` (np.random.get_state()'s).
@_cdecl("keras_get_numpy_random_state")
public func keras_get_numpy_random_state(_ key: UnsafeMutablePointer<UInt32>?, _ position: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_get_numpy_random_state") {
        let key = try requireOut(key, "key"), position = try requireOut(position, "position")
        guard let state = numpyRandomState() else {
            throw ABIError(.state, "no numpy random state yet: call keras_set_random_seed with a seed below 2^32 first")
        }
        for (i, word) in state.key.enumerated() { key[i] = word }
        position.pointee = Int32(state.position)
    }
}

/// Sets the library's copy of numpy's global generator to 624 key words and a position
/// (np.random.get_state()'s).
@_cdecl("keras_set_numpy_random_state")
public func keras_set_numpy_random_state(_ key: UnsafePointer<UInt32>?, _ position: Int32) -> Int32 {
    guarded("keras_set_numpy_random_state") {
        guard let key else { throw ABIError(.invalidArgument, "key must not be NULL") }
        try setNumpyRandomState(key: Array(UnsafeBufferPointer(start: key, count: 624)), position: Int(position))
    }
}
