import Foundation
import Keras

/// `swiftkeras summary FILE [--keras2]`: prints the summary of a model file (.keras, .h5 or a
/// JSON config), as `keras.models.load_model(FILE).summary()` would.
func summaryCommand(_ args: [String]) -> Int32 {
    let files = args.filter { !$0.hasPrefix("--") }
    guard files.count == 1 else {
        printError("usage: swiftkeras summary FILE [--keras2]   (FILE: .keras, .h5 or .json)")
        return 2
    }
    do {
        let model: Model
        do { model = try loadModel(files[0]) } catch let e as KerasError {
            // A model whose training setup cannot be rebuilt (a custom loss) still has a summary.
            guard case .unknownName = e else { throw e }
            model = try loadModel(files[0], compile: false)
        }
        model.summary(style: args.contains("--keras2") ? .keras2 : .keras3)
        return 0
    } catch {
        printError("swiftkeras summary: \(error)")
        return 1
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
