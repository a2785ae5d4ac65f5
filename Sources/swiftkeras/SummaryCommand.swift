import Foundation
import Keras

/// `swiftkeras summary FILE [--keras2]`: prints the summary of a model file (.keras, .h5 or a
/// JSON config), as `keras.models.load_model(FILE).summary()` would.
struct SummaryCommand: Subcommand {
    let name = "summary"
    let summary = "print the summary of a .keras, .h5 or JSON model file"

    func run(_ arguments: [String]) throws {
        let files = arguments.filter { !$0.hasPrefix("--") }
        guard files.count == 1 else {
            throw KerasError.invalidArgument("usage: swiftkeras summary FILE [--keras2]   (FILE: .keras, .h5 or .json)")
        }
        // The table needs shapes and counts, not values: weights the file does not fill are
        // never initialised (a JSON config of huge layers costs no memory to summarise).
        let model = try MemoryBudget.withoutInitializing { () throws -> Model in
            do { return try loadModel(files[0]) } catch let e as KerasError {
                // A model whose training setup cannot be rebuilt (a custom loss) still has a summary.
                guard case .unknownName = e else { throw e }
                return try loadModel(files[0], compile: false)
            }
        }
        model.summary(style: arguments.contains("--keras2") ? .keras2 : .keras3)
    }
}
