/// Keras's `shared_object_id` marks in a `.keras` file's config.json: Keras serializes a model
/// in an `ObjectSharingScope`, where an object serialized more than once (one initializer given
/// to two layers, the default dtype policy) has its entries marked with one id. Which objects
/// are shared is known to whoever made them (the Python shim's objects); the archive writer
/// writes the marks it is given into the config it writes, so the file is written once.
public struct SharedObjectMark: Equatable, Sendable {
    /// One step from an entry of the config to one it holds: an object's key or a list's index.
    public enum Step: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The steps from the top of ``Model/archiveConfig()`` to the marked object's entry.
    public var path: [Step]
    /// The id written (Keras writes the Python `id()` of the shared object).
    public var id: Int

    public init(path: [Step], id: Int) {
        self.path = path
        self.id = id
    }

    /// Marks from JSON `[[path, id], ...]`, each path a list of keys (strings) and indices
    /// (integers).
    public static func list(from json: JSON) throws -> [SharedObjectMark] {
        guard let items = json.arrayValue else {
            throw KerasError.invalidArgument("shared object marks must be a list of [path, id] pairs, not \(json)")
        }
        return try items.enumerated().map { n, item in
            guard let pair = item.arrayValue, pair.count == 2, let steps = pair[0].arrayValue,
                  case .int(let id) = pair[1] else {
                throw KerasError.invalidArgument("shared object mark \(n) must be a [path, id] pair (a list and an integer), not \(item)")
            }
            return SharedObjectMark(path: try steps.map { step in
                switch step {
                case .string(let key): return .key(key)
                case .int(let index): return .index(index)
                default:
                    throw KerasError.invalidArgument("shared object mark \(n): a path step must be a key (string) or an index (integer), not \(step)")
                }
            }, id: id)
        }
    }
}

extension JSON {
    /// This config with each mark's entry given `"shared_object_id": id` (replaced where it has
    /// one, added after its other keys otherwise, as Keras adds it).
    func marked(_ marks: [SharedObjectMark]) throws -> JSON {
        try marks.enumerated().reduce(self) { config, mark in
            try config.settingMark(mark.element.id, at: mark.element.path[...], mark: mark.offset)
        }
    }

    private func settingMark(_ id: Int, at path: ArraySlice<SharedObjectMark.Step>, mark n: Int) throws -> JSON {
        let depth = path.startIndex
        switch (path.first, self) {
        case (nil, .object):
            var entry = self
            entry.set("shared_object_id", .int(id))
            return entry
        case (.key(let key)?, .object(var pairs)):
            guard let i = pairs.firstIndex(where: { $0.0 == key }) else {
                throw KerasError.invalidArgument("shared object mark \(n): the config has no key '\(key)' \(depth) steps down")
            }
            pairs[i].1 = try pairs[i].1.settingMark(id, at: path.dropFirst(), mark: n)
            return .object(pairs)
        case (.index(let index)?, .array(var items)):
            guard items.indices.contains(index) else {
                throw KerasError.invalidArgument("shared object mark \(n): index \(index) \(depth) steps down is outside a list of \(items.count)")
            }
            items[index] = try items[index].settingMark(id, at: path.dropFirst(), mark: n)
            return .array(items)
        default:
            throw KerasError.invalidArgument("shared object mark \(n): its path does not lead to an object of the config (\(depth) steps down)")
        }
    }
}
