extension CustomObjectScope {
    /// Enters a scope on the calling thread without a closure, for callers that cannot pass one
    /// (the C ABI's keras_scope_push, Python's `with` statement). Pair with ``pop()``.
    public static func push(_ objects: [String: KerasObject] = [:]) {
        stack.value.scopes.append(CustomObjectScope(objects).entries)
    }

    /// Leaves the innermost scope entered with ``push(_:)``.
    public static func pop() throws {
        guard stack.value.scopes.popLast() != nil else {
            throw KerasError.invalidState("CustomObjectScope.pop: no scope is open on this thread")
        }
    }

    /// How many scopes are open on the calling thread.
    public static var depth: Int { stack.value.scopes.count }

    /// Adds `object` to the innermost open scope of the calling thread; false when none is open.
    public static func registerInInnermost(_ name: String, _ object: KerasObject) -> Bool {
        let s = stack.value
        guard !s.scopes.isEmpty else { return false }
        s.scopes[s.scopes.count - 1][RegistryKey(object.kind, name)] = object
        return true
    }

    /// Removes the object of `kind` named `name` from the innermost open scope of the calling
    /// thread that holds one; false when none does.
    public static func removeFromScopes(_ kind: KerasObjectKind, _ name: String) -> Bool {
        let s = stack.value
        for i in s.scopes.indices.reversed() where s.scopes[i][RegistryKey(kind, name)] != nil {
            s.scopes[i][RegistryKey(kind, name)] = nil
            return true
        }
        return false
    }
}
