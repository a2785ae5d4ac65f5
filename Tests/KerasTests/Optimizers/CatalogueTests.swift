import XCTest
@testable import Keras

/// The catalogues give Keras's constructor arguments (fixture from Keras's signatures) and the
/// defaults the classes really use.
final class CatalogueTests: XCTestCase {
    func testOptimizerCatalogueMatchesKerasSignaturesAndDefaults() throws {
        let keras = try XCTUnwrap(loadFixture("optimizers/catalogue.json")["optimizers"]?.objectValue)
        let ours = try XCTUnwrap(Optimizer.catalogue.objectValue)
        XCTAssertEqual(ours.map(\.0), keras.map(\.0))
        // Where Keras's get_config() normalises its default (Muon: `exclude_layers or []`).
        let configDefaults: [String: JSON] = ["Muon.exclude_layers": []]
        // Required arguments, for making each class with its defaults otherwise.
        let required: [String: JSON] = ["LossScaleOptimizer": ["inner_optimizer": "sgd"],
                                        "MultiOptimizer": ["optimizer_map": ["default_optimizer": "sgd"]]]
        for (className, args) in keras {
            let entry = try XCTUnwrap(Optimizer.catalogue[className])
            XCTAssertEqual(entry["args"], args, className)
            let made = try Optimizer.from(className: className, config: required[className] ?? [:])
            for arg in args.arrayValue ?? [] where arg["required"] == nil {
                let key = try XCTUnwrap(arg["name"]?.stringValue), value = try XCTUnwrap(arg["default"])
                if key == "learning_rate" {
                    XCTAssertEqual(made.learningRate, Float(value.doubleValue ?? .nan), className)
                } else {
                    XCTAssertEqual(made.config[key], configDefaults["\(className).\(key)"] ?? value, "\(className).\(key)")
                }
            }
        }
    }

    func testScheduleCatalogueMatchesKerasSignatures() throws {
        let keras = try XCTUnwrap(loadFixture("optimizers/catalogue.json")["schedules"]?.objectValue)
        for (className, args) in keras {
            XCTAssertEqual(LearningRateSchedule.catalogue[className]?["args"], args, className)
        }
        XCTAssertEqual(LearningRateSchedule.catalogue.objectValue?.count, keras.count)
    }

    func testLossCatalogueMatchesKerasSignaturesDefaultsAndNames() throws {
        // Keras 3's additions: losses/catalogue_keras3.json (scripts/make_keras3_vocab_fixtures.py)
        // and catalogue_ctc.json (scripts/make_ctc_fixtures.py).
        let keras = try XCTUnwrap(loadFixture("optimizers/catalogue.json")["losses"]?.objectValue)
            + XCTUnwrap(loadFixture("losses/catalogue_keras3.json").objectValue)
            + XCTUnwrap(loadFixture("losses/catalogue_ctc.json").objectValue)
        XCTAssertEqual(Loss.catalogue.objectValue?.count, keras.count)
        for (className, args) in keras {
            let entry = try XCTUnwrap(Loss.catalogue[className], className)
            XCTAssertEqual(entry["args"], args, className)
            let made = try Loss.from(className: className, config: [:])
            for arg in args.arrayValue ?? [] {
                let key = try XCTUnwrap(arg["name"]?.stringValue)
                if let actual = made.config[key] { XCTAssertEqual(actual, arg["default"], "\(className).\(key)") }
            }
            for name in entry["names"]?.arrayValue ?? [] {
                XCTAssertEqual(try Loss.named(try XCTUnwrap(name.stringValue)).className, className)
            }
        }
        XCTAssertEqual(Loss.catalogue["LogCosh"]?["names"], ["log_cosh", "logcosh"])
    }
}
