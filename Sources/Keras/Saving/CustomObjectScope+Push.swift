extension CustomObjectScope {
    /// Enters a scope on the calling thread without a closure, for callers that cannot pass one
    /// (the C ABI's keras_scope_push, Python's `with` statement). Pair with ``pop()``.
    public static func push(_ objects: [String: KerasObject] = [:]) {
        let s = stack.value
        s.scopes.append(CustomObjectScope(objects).entries)
        s.pushed.append(s.scopes.count - 1)
    }

    /// Leaves the innermost scope entered with ``push(_:)``.
    public static func pop() throws {
        let s = stack.value
        guard s.scopes.popLast() != nil else {
            throw KerasError.invalidState("CustomObjectScope.pop: no scope is open on this thread")
        }
        if let last = s.pushed.last, last >= s.scopes.count { s.pushed.removeLast() }
    }

    /// How many scopes are open on the calling thread.
    public static var depth: Int { stack.value.scopes.count }

    /// Adds `object` to the innermost scope of the calling thread entered with ``push(_:)``;
    /// false when none is open. The scopes the library enters itself while it reads a config
    /// (`modelFromConfig`, `loadModel`, a parallel fit's copy of its caller's) take no
    /// registrations: a plugin registering an object while the library reads a model (a Python
    /// layer whose sublayer names a Python activation, registered as the layer is built) must
    /// keep it after that read, as the caller that registered it expects.
    public static func registerInInnermost(_ name: String, _ object: KerasObject) -> Bool {
        let s = stack.value
        guard let innermost = s.pushed.last, innermost < s.scopes.count else { return false }
        s.scopes[innermost][RegistryKey(object.kind, name)] = object
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
