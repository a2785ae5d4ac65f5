/// The sublayers a layer holds, found in its stored properties as Keras tracks attributes.
struct TrackedSublayers {
    /// Distinct sublayers in declaration order (superclass properties first).
    var layers: [Layer] = []
    /// One entry per property holding a layer or a non-empty list of layers, under the attribute
    /// name Keras would use (`forwardLayer` → `forward_layer`).
    var attributes: [(name: String, layers: [Layer], isList: Bool)] = []
}

extension Layer {
    /// The sublayers of this layer's stored properties, cached once the layer is built.
    ///
    /// Keras tracks every attribute holding a layer (or a list of layers) as a child; this reads
    /// the same from Swift's reflection: `let cell: LSTMCell`, `var blocks: [Dense]`, optionals.
    /// Models answer with their `layers` instead (``sublayers``).
    func trackedSublayers() -> TrackedSublayers {
        if let trackedCache { return trackedCache }
        let found = Self.reflectSublayers(of: self)
        trackedCache = found
        return found
    }

    /// Forgets the cached sublayers (they may be created in `build`).
    func invalidateTrackedSublayers() { trackedCache = nil }

    private static func reflectSublayers(of layer: Layer) -> TrackedSublayers {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: layer)
        while let m = mirror, m.subjectType != Layer.self, !(layer is Model) {
            mirrors.append(m)
            mirror = m.superclassMirror
        }
        var found = TrackedSublayers()
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(layer)]
        let renamed = layer.sublayerAttributeNames
        for m in mirrors.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                let layers: [Layer], isList: Bool
                if let one = child.value as? Layer {
                    (layers, isList) = ([one], false)
                } else if let many = child.value as? [Layer], !many.isEmpty {
                    (layers, isList) = (many, true)
                } else {
                    continue
                }
                let name = renamed[label] ?? kerasSnakeCase(swiftPropertyName(label))
                found.attributes.append((name, layers, isList))
                for l in layers where seen.insert(ObjectIdentifier(l)).inserted { found.layers.append(l) }
            }
        }
        for hosted in layer.hostedSublayers where !hosted.layers.isEmpty {
            found.attributes.append(hosted)
            for l in hosted.layers where seen.insert(ObjectIdentifier(l)).inserted { found.layers.append(l) }
        }
        return found
    }

    /// `$__lazy_storage_$_cell` (a `lazy var`) → `cell`.
    private static func swiftPropertyName(_ label: String) -> String {
        let lazyPrefix = "$__lazy_storage_$_"
        return label.hasPrefix(lazyPrefix) ? String(label.dropFirst(lazyPrefix.count)) : label
    }

    /// Appends this layer's weights and its sublayers' (each variable once) in Keras's order:
    /// own weights created trainable, own non-trainable ones, then each sublayer's `weights`.
    /// - Parameter trainable: keep only variables whose `trainable` flag equals it (nil: all).
    /// - Returns: whether the layer has sublayers.
    @discardableResult
    func appendWeights(to out: inout [Variable], trainable: Bool?) -> Bool {
        let first = out.count
        for v in variables where v.createdTrainable && (trainable == nil || v.trainable == trainable) { out.append(v) }
        for v in variables where !v.createdTrainable && (trainable == nil || v.trainable == trainable) { out.append(v) }
        let subs = sublayers
        guard !subs.isEmpty else { return false }
        let start = out.count
        var nested = false
        for s in subs { nested = s.appendWeights(to: &out, trainable: trainable) || nested }
        // A layer held by two holders contributes its weights once, as in Keras, and so does a
        // weight a layer adopted from its sublayer (``adoptWeight(_:)``). Sibling leaf layers
        // own distinct weights, so a plain stack of layers skips the check.
        if (nested && subs.count > 1) || start > first {
            var seen = Set<ObjectIdentifier>()
            var kept = first
            for i in first..<out.count where seen.insert(ObjectIdentifier(out[i])).inserted {
                out[kept] = out[i]
                kept += 1
            }
            out.removeSubrange(kept...)
        }
        return true
    }

    /// Penalties for the loss of a training or test step, of this layer and its sublayers: activity
    /// penalties and `addLoss` values, then weight regularizers. Keras: `layer.losses`.
    func collectLosses() throws -> [Tensor] {
        var all: [Tensor] = []
        try appendLosses(to: &all)
        return all
    }

    private func appendLosses(to all: inout [Tensor]) throws {
        all.append(contentsOf: losses)
        for (v, r) in weightRegularizers where v.trainable && trainable { all.append(try r(v.value)) }
        for s in sublayers { try s.appendLosses(to: &all) }
    }

    /// Clears the penalties collected by the previous step, here and in every sublayer.
    func clearAllLosses() {
        clearLosses()
        for s in sublayers { s.clearAllLosses() }
    }

    /// Builds sublayers that `build` left unbuilt (Keras builds them by calling the layer
    /// symbolically): one call on zeros of the build shapes, unknown dimensions taken as 1.
    /// A failure here is left to the first real call to report.
    func buildSublayersByCalling(_ shapes: [[Int?]]) {
        guard sublayers.contains(where: { !$0.built }) else { return }
        let dims = shapes.map { $0.map { Swift.max($0 ?? 1, 0) } }
        // A shape from a hostile config must not allocate without bound.
        func count(_ shape: [Int]) -> Int {
            shape.reduce(1) { n, d in
                let (p, overflow) = n.multipliedReportingOverflow(by: d)
                return overflow ? Int.max : p
            }
        }
        guard dims.allSatisfy({ count($0) <= 1 << 24 }) else { return }
        let zeros = dims.map { Tensor(shape: $0, repeating: 0) }
        _ = try? GradientTape.withoutRecording {
            zeros.count == 1 ? try call(zeros[0], training: false) : try call(zeros, training: false)
        }
        clearAllLosses()
    }

    /// Builds the layer for one input shape unless it is built. A layer that holds sublayers
    /// builds them with this from its own `build`, as Keras code calls `self.dense.build(shape)`.
    public func buildIfNeeded(_ inputShape: [Int?]) throws { try ensureBuilt([inputShape]) }
}

/// Keras's `naming.to_snake_case`: `Conv2DTranspose` → `conv2d_transpose`, `forwardLayer` →
/// `forward_layer`. Names saved objects and, by default, layers.
func kerasSnakeCase(_ name: String) -> String {
    let s = Array(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })
    func upper(_ c: Character) -> Bool { c.isASCII && c.isUppercase }
    func lower(_ c: Character) -> Bool { c.isASCII && c.isLowercase }
    // re.sub("(.)([A-Z][a-z]+)", r"\1_\2"): matches do not overlap.
    var a: [Character] = []
    var i = 0
    while i < s.count {
        if i + 2 < s.count, upper(s[i + 1]), lower(s[i + 2]) {
            a += [s[i], "_", s[i + 1]]
            i += 2
            while i < s.count, lower(s[i]) { a.append(s[i]); i += 1 }
        } else {
            a.append(s[i])
            i += 1
        }
    }
    // re.sub("([a-z])([A-Z])", r"\1_\2").lower()
    var b = ""
    i = 0
    while i < a.count {
        if i + 1 < a.count, lower(a[i]), upper(a[i + 1]) {
            b += "\(a[i])_\(a[i + 1])"
            i += 2
        } else {
            b.append(a[i])
            i += 1
        }
    }
    return b.lowercased()
}

/// The stack of layer names that prefixes the path of each new weight (`lstm/lstm_cell/kernel`),
/// one per thread. Keras: `backend.name_scope`, opened by a layer around its `build`.
public enum NameScope {
    final class Stack {
        var entries: [(owner: ObjectIdentifier, name: String)] = []
        /// The scopes set aside by `openRoot`, innermost last.
        var setAside: [[(owner: ObjectIdentifier, name: String)]] = []
    }

    static let current = ThreadLocal { Stack() }

    /// Runs `body` inside `layer`'s scope. A functional model opens none (its layers were built
    /// before it existed: `dense/kernel`); a Sequential opens its own, as in Keras 3, for the
    /// layers it builds (`sequential/dense/kernel`), not for layers built before they were added.
    static func run<T>(_ layer: Layer, _ body: () throws -> T) rethrows -> T {
        let stack = current.value
        let id = ObjectIdentifier(layer)
        if (layer is Model && !(layer is Sequential)) || stack.entries.last?.owner == id { return try body() }
        stack.entries.append((id, layer.name))
        defer { stack.entries.removeLast() }
        return try body()
    }

    /// Runs `body` with the innermost scope standing for `layer` as well: the built-in layer a
    /// plugin layer subclasses makes its weights in the subclass's scope (`my_dense/kernel`,
    /// `my_lstm/lstm_cell/kernel`), as Keras makes them on the subclass itself.
    static func runAs<T>(_ layer: Layer, _ body: () throws -> T) rethrows -> T {
        let stack = current.value
        guard let top = stack.entries.last else { return try body() }
        let i = stack.entries.count - 1
        stack.entries[i].owner = ObjectIdentifier(layer)
        defer { if i < stack.entries.count { stack.entries[i].owner = top.owner } }
        return try body()
    }

    /// Sets this thread's open scopes aside, so that what is built next is named from the root
    /// (`seq/dense/kernel`), as Keras builds a model made while another layer builds, outside
    /// that layer's scope; the depth to give `closeRoot`.
    public static func openRoot() -> Int {
        let stack = current.value
        stack.setAside.append(stack.entries)
        stack.entries = []
        return stack.setAside.count
    }

    /// Restores the scopes `openRoot` returned `depth` for, closing the roots opened after it.
    public static func closeRoot(_ depth: Int) throws {
        let stack = current.value
        guard depth >= 1, depth <= stack.setAside.count else {
            throw KerasError.invalidArgument("name scope \(depth) is not open on this thread (\(stack.setAside.count) open)")
        }
        stack.entries = stack.setAside[depth - 1]
        stack.setAside.removeSubrange((depth - 1)...)
    }

    /// The path of weight `name` created now by `layer`: the open scopes, then the layer.
    static func path(of name: String, in layer: Layer) -> String {
        let entries = current.value.entries
        var parts = entries.map(\.name)
        if entries.last?.owner != ObjectIdentifier(layer) { parts.append(layer.name) }
        return (parts + [name]).joined(separator: "/")
    }
}
