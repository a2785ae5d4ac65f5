extension CustomObjectScope {
    /// Every object visible through the calling thread's scopes (inner scopes win), so that work
    /// handed to other threads — the parallel fits of a search — can enter the same scope there.
    public static var active: CustomObjectScope {
        var merged: [RegistryKey: KerasObject] = [:]
        for scope in stack.value.scopes { merged.merge(scope) { _, inner in inner } }
        return CustomObjectScope(entries: merged)
    }

    /// The names of every object of `kind` visible through the calling thread's scopes.
    static func names(_ kind: KerasObjectKind) -> [String] {
        stack.value.scopes.flatMap { $0.keys.filter { $0.kind == kind }.map(\.name) }
    }
}
