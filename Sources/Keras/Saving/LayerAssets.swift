import ZIPFoundation

/// A layer that keeps files beside its weights in a `.keras` archive, under
/// `assets/<its weights path>/` (Keras: `save_assets` / `load_assets`, e.g. an adapted lookup
/// layer's `vocabulary.txt`), and named variables in its `vars` group besides its numbered
/// weights (Keras: `save_own_variables`, e.g. `idf_weights`). The saving code calls these hooks
/// for every layer that has them; it knows no layer by name.
protocol AssetLayer: Layer {
    /// The files to write under the layer's assets folder, by file name (none: empty).
    func saveAssets() throws -> [String: [UInt8]]
    /// Reads the layer's files from a `.keras` archive, after its weights are loaded:
    /// `file(name)` gives a file's bytes (nil when absent), `variable(name)` a named variable of
    /// the layer's `vars` group (nil when absent).
    func loadAssets(file: (String) throws -> [UInt8]?, variable: (String) throws -> Tensor?) throws
    /// Variables written by name in the layer's `vars` group (`.keras` and `.weights.h5`).
    func namedVariables() -> [String: Tensor]
}

/// Whether the config being written goes into a `.keras` archive beside the layers' assets: a
/// layer then leaves out of its config what its assets hold, as Keras's `get_config` does (an
/// adapted vocabulary is `vocabulary: None` there). Other configs (`.h5`, JSON, Python's view of
/// a layer) keep it, as the only place it travels.
enum AssetWriting {
    @TaskLocal static var active = false
}

extension KerasArchive {
    /// The folder of a layer's assets for the path of its `vars` group (`layers/x/vars`).
    static func assetsFolder(_ varsPath: String) -> String { "assets/" + varsPath.dropLast("vars".count) }

    /// Every layer's asset files as archive members (`assets/<path>/<file>`), in save order.
    static func assetMembers(_ model: Model) throws -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        for e in WeightsH5Store.entries(model) {
            guard let owner = e.layer as? AssetLayer else { continue }
            for (name, bytes) in try owner.saveAssets().sorted(by: { $0.key < $1.key }) {
                out.append((assetsFolder(e.path) + name, bytes))
            }
        }
        return out
    }

    /// Hands each layer with assets its files from the archive and its named variables from the
    /// archive's weights (Keras: `load_assets`, after `load_own_variables`).
    static func loadAssets(into model: Model, reader: Reader) throws {
        var weights: HDF5File?
        for e in WeightsH5Store.entries(model) {
            guard let owner = e.layer as? AssetLayer else { continue }
            let folder = assetsFolder(e.path)
            try owner.loadAssets(file: { try member(reader, folder + $0, limit: maxMemberBytes)?.array }, variable: { name in
                if weights == nil, let image = try member(reader, "model.weights.h5", limit: maxMemberBytes) {
                    weights = try HDF5File.open(image: image, name: "\(reader.path)/model.weights.h5")
                }
                guard let g = try weights?.root().group(e.path), try g.exists(name) else { return nil }
                return try g.readTensor(name)
            })
        }
    }
}
