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
    /// The objects this scope provides, by name.
    public let objects: [String: KerasObject]

    /// A scope over `objects`; enter it with ``callAsFunction(_:)``.
    public init(_ objects: [String: KerasObject]) { self.objects = objects }

    /// Runs `body` inside this scope.
    public func callAsFunction<T>(_ body: () throws -> T) rethrows -> T {
        let stack = CustomObjectScope.stack.value
        stack.scopes.append(objects)
        defer { stack.scopes.removeLast() }
        return try body()
    }

    /// The innermost object named `name` in the calling thread's scopes.
    static func lookup(_ name: String) -> KerasObject? {
        for scope in stack.value.scopes.reversed() {
            if let o = scope[name] { return o }
            if let bare = name.split(separator: ">").last.map(String.init), bare != name, let o = scope[bare] { return o }
        }
        return nil
    }

    final class Stack { var scopes: [[String: KerasObject]] = [] }
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
