import Foundation
import Keras
import KerasSklearn

/// Every live handle given to C, so that a NULL, foreign or already freed pointer is refused with
/// an error instead of being dereferenced. A handle is `Unmanaged.passRetained(box)`; the table
/// maps its address to the box's kind.
enum Handles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: [UnsafeMutableRawPointer: String] = [:]

    static func make(_ box: AnyObject, kind: String) -> OpaquePointer {
        let p = Unmanaged.passRetained(box).toOpaque()
        lock.lock(); live[p] = kind; lock.unlock()
        return OpaquePointer(p)
    }

    /// The box behind `handle`, retained for the duration of the caller's use.
    static func resolve<T: AnyObject>(_ handle: OpaquePointer?, _ type: T.Type, kind: String) throws -> T {
        guard let handle else { throw ABIError(.invalidArgument, "the \(kind) handle is NULL") }
        let p = UnsafeMutableRawPointer(handle)
        lock.lock(); defer { lock.unlock() }
        guard let k = live[p] else {
            throw ABIError(.invalidArgument, "the \(kind) handle \(p) is not a live handle (already freed, or not made by this library)")
        }
        guard k == kind, let box = Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? T else {
            throw ABIError(.invalidArgument, "the handle \(p) is a \(k), not a \(kind)")
        }
        return box
    }

    /// Forgets and releases a handle; returns false when it was not live.
    @discardableResult
    static func free(_ handle: OpaquePointer?, kind: String) -> Bool {
        guard let handle else { return true }
        let p = UnsafeMutableRawPointer(handle)
        lock.lock()
        guard live[p] == kind else { lock.unlock(); return false }
        live[p] = nil
        lock.unlock()
        Unmanaged<AnyObject>.fromOpaque(p).release()
        return true
    }
}

/// A library object handed to C with a recursive lock: calls on one handle from several threads
/// run one at a time, and a callback may call back into the same handle on its own thread.
class LockedBox {
    /// Replaced only in a box's initializer, by ``ModelBox/init(_:sharingLockOf:)``.
    fileprivate(set) var lock = NSRecursiveLock()
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }
}

final class ModelBox: LockedBox {
    var model: Model
    init(_ model: Model) { self.model = model }
    /// A second handle on a model `other` holds (a fitted estimator's), locking with `other`'s
    /// lock so that calls through either handle never run at the same time.
    init(_ model: Model, sharingLockOf other: LockedBox) {
        self.model = model
        super.init()
        lock = other.lock
    }
}

extension EstimatorBox {
    /// An estimator training the model `other` holds (keras_estimator_from_model), locking with
    /// `other`'s lock so that calls through either handle never run at the same time.
    convenience init(_ e: Predictor, sharingLockOf other: LockedBox) {
        self.init(e)
        lock = other.lock
    }
}

func modelBox(_ h: OpaquePointer?) throws -> ModelBox { try Handles.resolve(h, ModelBox.self, kind: "keras_model") }
