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

/// The layer config key of ``Layer/buildSeeds``.
let buildSeedsKey = "_build_seeds"

extension Layer {
    /// The next seed a front end drew for an object the build makes (Keras's
    /// `make_default_seed()`), else Keras's next one after ``setRandomSeed(_:)``
    /// (``KerasDefaultSeeds``), if any; without one the object draws from the thread's generator.
    func takeBuildSeed() -> Int? {
        buildSeeds.isEmpty ? KerasDefaultSeeds.next() : buildSeeds.removeFirst()
    }

    /// `initializer` made again from its config, as Keras's build makes a sublayer's
    /// (`cls.from_config(initializer.get_config())`): an unseeded one that draws takes a new seed.
    func buildCopy(of initializer: Initializer) -> Initializer {
        guard var seeded = initializer as? any DefaultSeeded, seeded.seed == nil else { return initializer }
        seeded.defaultSeed = takeBuildSeed()
        return seeded
    }
}
