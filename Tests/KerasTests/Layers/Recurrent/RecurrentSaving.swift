import Foundation
import XCTest
@testable import Keras

/// Saving checks the recurrent tests share.
enum RecurrentSaving {
    /// Models Keras wrote (saving fixtures `name`.keras, .h5, .json + .weights.h5) load here with
    /// Keras's predictions and weight paths.
    static func assertKerasWrittenModelsLoad(_ names: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        for name in names {
            let (inputs, outputs) = try SavingFixtures.expected(name)
            for ext in ["keras", "h5"] {
                let model = try loadModel(try SavingFixtures.path("\(name).\(ext)"))
                assertClose([try model.predict(inputs[0])], outputs, "\(name).\(ext)", file: file, line: line)
            }
            let json = try String(contentsOfFile: try SavingFixtures.path("\(name).json"), encoding: .utf8)
            let fromJSON = try modelFromJSON(json)
            try fromJSON.loadWeights(try SavingFixtures.path("\(name).weights.h5"))
            assertClose([try fromJSON.predict(inputs[0])], outputs, "\(name).json + .weights.h5", file: file, line: line)
            let info = try JSONParser.parse(try String(contentsOfFile: try SavingFixtures.path("\(name).expected.json"), encoding: .utf8))
            // Keras prefixes a Sequential's weight paths with the model's name.
            let kerasPaths = try XCTUnwrap(info["weights"]?.arrayValue).compactMap(\.stringValue)
            let paths = fromJSON.weights.map { $0.path.hasPrefix("\(name)/") ? $0.path : "\(name)/\($0.path)" }
            XCTAssertEqual(paths, kerasPaths, name, file: file, line: line)
        }
    }

    /// `model` saved here as .keras and .h5 loads back with its predictions on `x`.
    static func assertRoundTrips(_ model: Model, _ x: Tensor, file: StaticString = #filePath, line: UInt = #line) throws {
        let want = try model.predict(x)
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            assertClose([try loadModel("\(dir)/m.\(ext)").predict(x)], [want], "reloaded .\(ext)", file: file, line: line)
        }
    }
}
