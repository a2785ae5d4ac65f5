import Foundation
import XCTest
@testable import Keras

/// Optimizer state in `.keras` files: files real Keras wrote after an epoch of `fit` load with
/// Keras's optimizer variables, and one more epoch gives Keras's weights; files this library
/// writes resume exactly where an uninterrupted fit would be (fixtures by
/// scripts/make_optimizer_fixtures.py).
final class OptimizerResumeTests: XCTestCase {
    struct Case {
        let name: String
        let path: String
        let json: JSON
    }

    func fixture() throws -> (x: Tensor, y: Tensor, batchSize: Int, cases: [Case]) {
        let j = try loadFixture("optimizers/resume/resume.json")
        let base = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/optimizers/resume")
        func rows(_ key: String) throws -> Tensor {
            let r = try XCTUnwrap(j[key]?.arrayValue)
            return try Tensor(shape: [r.count, r.first?.floats.count ?? 0], scalars: r.flatMap(\.floats))
        }
        let cases = try XCTUnwrap(j["cases"]?.arrayValue).map { c in
            Case(name: c["name"]?.stringValue ?? "?",
                 path: base.appendingPathComponent(try XCTUnwrap(c["file"]?.stringValue)).path, json: c)
        }
        return (try rows("x"), try rows("y"), j["batch_size"]?.intValue ?? 4, cases)
    }

    func testKerasFilesLoadWithKerasOptimizerStateAndResumeAsKeras() throws {
        let (x, y, batchSize, cases) = try fixture()
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let model = try loadModel(c.path)
            let opt = try XCTUnwrap(model.optimizer, c.name)
            let entries = OptimizerState.entries(opt, variables: model.kerasTrainableWeights)
            let saved = try XCTUnwrap(c.json["optimizer_variables"]?.arrayValue)
            let shapes = try XCTUnwrap(c.json["optimizer_variable_shapes"]?.arrayValue).map(\.ints)
            XCTAssertEqual(entries.map(\.shape), shapes, "\(c.name): optimizer variable shapes")
            for (e, expected) in zip(entries, saved) {
                assertClose(try e.read().tensor.scalars, expected.floats, "\(c.name): \(e.name)")
            }
            try model.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0, shuffle: false)
            let after = try XCTUnwrap(c.json["weights_after"]?.arrayValue)
            XCTAssertEqual(model.trainableWeights.count, after.count, c.name)
            for (k, (v, expected)) in zip(model.trainableWeights, after).enumerated() {
                assertClose(v.numpy.scalars, expected.floats, "\(c.name): weight \(k) after the resumed epoch")
            }
        }
    }

    func testResumedFitEqualsUninterruptedFitInEveryFormat() throws {
        let (x, y, batchSize, cases) = try fixture()
        let dir = NSTemporaryDirectory() + "optimizer-resume-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for c in cases {
            // Two calls, as the resumed run makes (fit ends by copying EMA weights when use_ema is on).
            let straight = try loadModel(c.path)
            for _ in 0..<2 { try straight.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0, shuffle: false) }
            for ext in ["keras", "h5"] {
                let first = try loadModel(c.path)
                try first.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0, shuffle: false)
                try first.save("\(dir)/\(c.name).\(ext)")
                let resumed = try loadModel("\(dir)/\(c.name).\(ext)")
                XCTAssertEqual(resumed.optimizer?.iterations, first.optimizer?.iterations, "\(c.name).\(ext)")
                try resumed.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0, shuffle: false)
                for (k, (a, b)) in zip(resumed.trainableWeights, straight.trainableWeights).enumerated() {
                    assertClose(a.numpy.scalars, b.numpy.scalars, atol: 1e-6, rtol: 0, "\(c.name).\(ext): weight \(k)")
                }
            }
        }
    }

    func testNadamRunningProductIsSavedAndRestored() throws {
        let (x, y, batchSize, cases) = try fixture()
        let c = try XCTUnwrap(cases.first { $0.name == "nadam" })
        let model = try loadModel(c.path)
        let opt = try XCTUnwrap(model.optimizer as? Nadam)
        // Keras's u_product after 3 steps of beta_1 * (1 - 0.5 * 0.96^t).
        let expected = (1...3).reduce(Float(1)) { $0 * 0.9 * (1 - 0.5 * powf(0.96, Float($1))) }
        XCTAssertEqual(opt.iterations, 3)
        XCTAssertEqual(opt.uProduct, expected, accuracy: 1e-6)
        try model.fit(x, y, batchSize: batchSize, epochs: 1, verbose: 0, shuffle: false)
        XCTAssertEqual(opt.extraScalars, [opt.uProduct])
        XCTAssertEqual(opt.variableScalarCount, 2 + 2 * (3 * 4 + 4 + 4 * 2 + 2) + 1)
    }
}
