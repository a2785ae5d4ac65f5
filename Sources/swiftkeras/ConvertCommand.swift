import Keras

/// `swiftkeras convert IN OUT`: converts a model between `.keras`, legacy `.h5`, `.weights.h5`
/// (weights only) and JSON (config only), choosing formats from the file names.
struct ConvertCommand: Subcommand {
    let name = "convert"
    let summary = "convert a model between .keras, .h5, .weights.h5 and .json"

    func run(_ arguments: [String]) throws {
        guard arguments.count == 2 else {
            throw KerasError.invalidArgument("usage: swiftkeras convert IN OUT   (.keras, .h5, .json; OUT may also be .weights.h5)")
        }
        let model = try loadModel(arguments[0])
        if arguments[1].lowercased().hasSuffix(".weights.h5") {
            try model.saveWeights(arguments[1])
        } else {
            try model.save(arguments[1])
        }
    }
}
