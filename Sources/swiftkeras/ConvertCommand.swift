import Keras

/// `swiftkeras convert IN OUT`: converts a model between `.keras`, legacy `.h5`, `.weights.h5`
/// (weights only) and JSON (config only), choosing formats from the file names.
func convertCommand(_ args: [String]) -> Int32 {
    guard args.count == 2 else {
        printError("usage: swiftkeras convert IN OUT   (.keras, .h5, .json; OUT may also be .weights.h5)")
        return 2
    }
    do {
        let model = try loadModel(args[0])
        if args[1].lowercased().hasSuffix(".weights.h5") {
            try model.saveWeights(args[1])
        } else {
            try model.save(args[1])
        }
        return 0
    } catch {
        printError("swiftkeras convert: \(error)")
        return 1
    }
}

/// The subcommands for model files, by name; `main.swift` dispatches to them.
let savingCommands: [String: ([String]) -> Int32] = [
    "summary": summaryCommand,
    "convert": convertCommand,
]
