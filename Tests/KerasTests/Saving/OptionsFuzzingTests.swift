import XCTest
@testable import Keras
import KerasFuzz

/// The in-suite stand-in for `make fuzz FUZZ_READERS=compile,fit,estimator`: the seeds of
/// Tests/FuzzSeeds are accepted where they should be, and seeded mutations of them (extreme
/// numbers, wrong types, cuts, flipped bits) through the compile, fit-options and estimator
/// readers of the C ABI return status codes, never trap.
final class OptionsFuzzingTests: XCTestCase {
    static let seedsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("FuzzSeeds").path

    func seed(_ name: String) throws -> [UInt8] {
        [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: Self.seedsFolder + "/" + name), name))
    }

    func testSeedsAreAcceptedByTheirReaders() throws {
        // compile: the compile call and a fit after it; fit: the fit (evaluate and predict refuse
        // fit-only options); estimator: new, get/set params, clone, fit, predict, score,
        // keras_estimator_describe with the text as params, and a search over the text as a grid
        // (search_grid.json: the search is made; an estimator with lists for values is made and
        // described too, and refused at fit), and keras_estimator_restore with the text as the
        // metadata (restore_metadata.json: restored, then predict, score and a partial fit).
        let expected: [(String, String, Int)] = [
            ("compile_adam.json", "compile", 2), ("compile_huber.json", "compile", 2),
            ("fit_options.json", "fit", 1), ("fit_huge.json", "fit", 1),
            ("estimator_params.json", "estimator", 7), ("search_grid.json", "estimator", 4),
            ("restore_metadata.json", "estimator", 4),
            // A fitted classifier's calls with the text as their options: the call options of
            // keras_estimator_predict_arrays (predict, predict_proba) and _score_arrays (3,
            // besides new, get/set params, clone and describe as params; refused by the fit
            // with the model's two units for a binary target), and a partial
            // keras_estimator_fit_arrays's options (1; refused as params: unknown keys).
            ("estimator_call_options.json", "estimator", 7),
            ("estimator_fit_options.json", "estimator", 1),
        ]
        for (name, reader, count) in expected {
            XCTAssertEqual(OptionsFuzzing.run(try seed(name), readers: [reader]), count, "\(name) through \(reader)")
        }
        XCTAssertEqual(OptionsFuzzing.run(Array("{\"verbose\": 0}".utf8), readers: ["fit"]), 3, "options every loop takes")
        XCTAssertEqual(OptionsFuzzing.run(Array("not json".utf8)), 0)
    }

    func testSeededMutationsNeverTrap() throws {
        var rng = SystemRandomNumberGeneratorSeeded(seed: 20261203)
        let seeds = try ["compile_adam.json", "compile_huber.json", "fit_options.json", "fit_huge.json",
                         "estimator_params.json", "search_grid.json", "restore_metadata.json",
                         "estimator_call_options.json", "estimator_fit_options.json"].map(seed)
        let replacements = ["9223372036854775807", "-9223372036854775808", "-1", "0", "1e308", "-1e308", "NaN",
                            "Infinity", "null", "true", "\"x\"", "[]", "{}", "[[[[[[[[[[]]]]]]]]]]", "0.5"]
        for round in 0..<120 {
            var b = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                guard !b.isEmpty else { break }
                let i = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 4 {
                case 0: b[i] ^= UInt8(1 << (rng.next() % 7))
                case 1: b = Array(b.prefix(i))
                default:
                    // A value (after a colon or inside a list) replaced by an extreme one.
                    guard let start = b[i...].firstIndex(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "[") }) else { break }
                    let end = b[(start + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") || $0 == UInt8(ascii: "]") } ?? b.count
                    let r = replacements[Int(rng.next() % UInt64(replacements.count))]
                    b.replaceSubrange((start + 1)..<end, with: Array(" \(r)".utf8))
                }
            }
            OptionsFuzzing.run(b)
        }
    }
}
