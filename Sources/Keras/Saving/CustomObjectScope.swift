/// Makes custom objects visible by name while a block runs, on the calling thread only.
/// Keras: `keras.saving.CustomObjectScope` / `custom_object_scope`.
///
/// Scopes nest; an inner scope's names hide the outer ones, and leaving a scope removes its
/// names.
/// ```swift
/// let scope = CustomObjectScope(["Scale": .layer { c in try Scale(config: c) }])
/// let model = try scope { try loadModel("scale.keras") }
/// // or: try CustomObjectScope([...]) { model = try loadModel("scale.keras") }
/// ```
public struct CustomObjectScope {
    /// The objects this scope provides, by family and name: a loss and an activation may share a
    /// name (a Python function passed as both) without hiding each other.
    let entries: [RegistryKey: KerasObject]

    /// A scope over `objects`; enter it with ``callAsFunction(_:)``.
    public init(_ objects: [String: KerasObject]) {
        entries = Dictionary(objects.map { (RegistryKey($0.value.kind, $0.key), $0.value) }, uniquingKeysWith: { _, b in b })
    }

    init(entries: [RegistryKey: KerasObject]) { self.entries = entries }

    /// The objects this scope provides, by name (one per name when families share a name).
    public var objects: [String: KerasObject] {
        Dictionary(entries.map { ($0.key.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Whether the scope provides nothing.
    public var isEmpty: Bool { entries.isEmpty }

    /// Runs `body` inside this scope.
    public func callAsFunction<T>(_ body: () throws -> T) rethrows -> T {
        let stack = CustomObjectScope.stack.value
        stack.scopes.append(entries)
        defer { stack.scopes.removeLast() }
        return try body()
    }

    /// The innermost object of `kind` named `name` (or its bare name after `Package>`) in the
    /// calling thread's scopes.
    static func lookup(_ kind: KerasObjectKind, _ name: String) -> KerasObject? {
        let scopes = stack.value.scopes
        guard !scopes.isEmpty else { return nil }
        let bare = name.split(separator: ">").last.map(String.init)
        for scope in scopes.reversed() {
            if let o = scope[RegistryKey(kind, name)] { return o }
            if let bare, bare != name, let o = scope[RegistryKey(kind, bare)] { return o }
        }
        return nil
    }

    final class Stack {
        var scopes: [[RegistryKey: KerasObject]] = []
        /// The indices in `scopes` of those entered with ``push(_:)`` (the C ABI's
        /// keras_scope_push), innermost last: the only scopes registrations go to.
        var pushed: [Int] = []
    }
    static let stack = ThreadLocal { Stack() }
}

/// Runs `body` with `objects` visible to loading and name lookups. Keras: `custom_object_scope`.
public func withCustomObjects<T>(_ objects: [String: KerasObject], _ body: () throws -> T) rethrows -> T {
    try CustomObjectScope(objects)(body)
}

extension CustomObjectScope {
    /// Enters a scope over `objects`, runs `body` and leaves it: `CustomObjectScope([...]) { ... }`.
    @discardableResult
    public init<T>(_ objects: [String: KerasObject], _ body: () throws -> T) rethrows {
        self.init(objects)
        _ = try self(body)
    }
}
