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
    fileprivate(set) var lock = OrderedLock()
    /// The locks of the models nested in this one that other handles also reach (a model made
    /// with keras_model_from_json_sharing), taken after `lock`, newest first; set only in an
    /// initializer, before the handle exists.
    fileprivate(set) var nestedLocks: [OrderedLock] = []
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        if nestedLocks.isEmpty { return try body() }
        for l in nestedLocks { l.lock() }
        defer { for l in nestedLocks.reversed() { l.unlock() } }
        return try body()
    }
}

/// A recursive lock numbered in creation order. A handle takes its own lock and then those of the
/// models nested in it, newest first; a nested model's lock is always older than the model holding
/// it, so every thread takes any two locks in the same order and none waits on another in a cycle.
final class OrderedLock: NSRecursiveLock {
    private static let counter = NSLock()
    nonisolated(unsafe) private static var made: UInt64 = 0
    let order: UInt64
    override init() {
        OrderedLock.counter.lock()
        OrderedLock.made &+= 1
        order = OrderedLock.made
        OrderedLock.counter.unlock()
        super.init()
    }
}

final class ModelBox: LockedBox {
    var model: Model
    init(_ model: Model) { self.model = model }
    /// A second handle on a model `other` holds (a fitted estimator's, or a model nested in
    /// `other`'s), locking with `other`'s locks so that calls through either handle never run at
    /// the same time.
    init(_ model: Model, sharingLockOf other: LockedBox) {
        self.model = model
        super.init()
        lock = other.lock
        nestedLocks = other.nestedLocks
    }
    /// A model holding the models of `nested` (other handles' models) as its layers: calls through
    /// this handle also take their locks, so that no call through theirs runs at the same time.
    init(_ model: Model, holding nested: [LockedBox]) {
        self.model = model
        super.init()
        nestedLocks = LockedBox.locks(of: nested)
    }
}

extension LockedBox {
    /// The locks of `boxes` (each box's own and nested ones), once each, newest first.
    static func locks(of boxes: [LockedBox]) -> [OrderedLock] {
        var all: [ObjectIdentifier: OrderedLock] = [:]
        for box in boxes {
            for l in [box.lock] + box.nestedLocks { all[ObjectIdentifier(l)] = l }
        }
        return all.values.sorted { $0.order > $1.order }
    }

    /// `body` holding the locks of every box of `boxes`, taken in their order.
    static func locked<T>(_ boxes: [LockedBox], _ body: () throws -> T) rethrows -> T {
        let locks = LockedBox.locks(of: boxes)
        for l in locks { l.lock() }
        defer { for l in locks.reversed() { l.unlock() } }
        return try body()
    }
}

extension EstimatorBox {
    /// An estimator training the model `other` holds (keras_estimator_from_model), locking with
    /// `other`'s lock so that calls through either handle never run at the same time.
    convenience init(_ e: Predictor, sharingLockOf other: LockedBox) {
        self.init(e)
        lock = other.lock
        nestedLocks = other.nestedLocks
    }
}

func modelBox(_ h: OpaquePointer?) throws -> ModelBox { try Handles.resolve(h, ModelBox.self, kind: "keras_model") }
