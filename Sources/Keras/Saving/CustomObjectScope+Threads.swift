extension CustomObjectScope {
    /// Every object visible through the calling thread's scopes (inner scopes win), so that work
    /// handed to other threads — the parallel fits of a search — can enter the same scope there.
    public static var active: [String: KerasObject] {
        var merged: [String: KerasObject] = [:]
        for scope in stack.value.scopes { merged.merge(scope) { _, inner in inner } }
        return merged
    }
}
