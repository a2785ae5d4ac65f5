extension Layer {
    /// The seed generators of this layer and its sublayers, in Keras's order of
    /// `layer.variables` (a layer's own, then each sublayer's), each with the layer owning it.
    public var allSeedGenerators: [(layer: Layer, generator: SeedGenerator)] {
        var out: [(layer: Layer, generator: SeedGenerator)] = []
        var seen = Set<ObjectIdentifier>()
        func visit(_ layer: Layer) {
            for g in layer.seedGenerators where seen.insert(ObjectIdentifier(g)).inserted {
                out.append((layer, g))
            }
            for s in layer.sublayers { visit(s) }
        }
        visit(self)
        return out
    }
}
