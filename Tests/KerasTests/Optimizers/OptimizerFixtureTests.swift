import XCTest
@testable import Keras

/// Each optimizer and option against real Keras: the weights after each of N steps on fixed
/// gradients, and `get_config()` (fixtures by scripts/make_optimizer_fixtures.py).
final class OptimizerFixtureTests: XCTestCase {
    func runFixtureFile(_ file: String) throws {
        let cases = try XCTUnwrap(loadFixture("optimizers/\(file).json").arrayValue)
        XCTAssertFalse(cases.isEmpty)
        for c in cases { try runCase(c) }
    }

    func runCase(_ c: JSON) throws {
        let name = c["name"]?.stringValue ?? "?"
        let className = try XCTUnwrap(c["class_name"]?.stringValue)
        let opt = try Optimizer.from(className: className, config: c["kwargs"] ?? [:])
        if let expected = c["config"], !expected.isNull {
            XCTAssertEqual(opt.config, expected, "\(name): config\n got      \(opt.config)\n expected \(expected)")
        }
        let shapes = try XCTUnwrap(c["shapes"]?.arrayValue).map(\.ints)
        let initial = try XCTUnwrap(c["initial"]?.arrayValue)
        let variables = try zip(shapes, initial).enumerated().map { i, pair in
            Variable(try Tensor(shape: pair.0, scalars: pair.1.floats), name: "v\(i)")
        }
        let steps = try XCTUnwrap(c["gradients"]?.arrayValue)
        let expected = try XCTUnwrap(c["weights"]?.arrayValue)
        for (s, grads) in steps.enumerated() {
            let g = try zip(shapes, try XCTUnwrap(grads.arrayValue)).map { try Tensor(shape: $0.0, scalars: $0.1.floats) }
            try opt.apply(g, to: variables)
            for (k, v) in variables.enumerated() {
                assertClose(v.numpy.scalars, expected[s].arrayValue?[k].floats ?? [], "\(name): variable \(k) after step \(s + 1)")
            }
        }
        XCTAssertEqual(opt.iterations, steps.count, name)
        if let finalized = c["finalized"]?.arrayValue {
            opt.finalizeVariableValues(variables)
            for (k, v) in variables.enumerated() {
                assertClose(v.numpy.scalars, finalized[k].floats, "\(name): variable \(k) after finalize_variable_values")
            }
        }
    }

    func testSGDMatchesKeras() throws { try runFixtureFile("sgd") }
    func testRMSpropMatchesKeras() throws { try runFixtureFile("rmsprop") }
    func testAdagradMatchesKeras() throws { try runFixtureFile("adagrad") }
    func testAdadeltaMatchesKeras() throws { try runFixtureFile("adadelta") }
    func testAdamMatchesKeras() throws { try runFixtureFile("adam") }
    func testAdamaxMatchesKeras() throws { try runFixtureFile("adamax") }
    func testNadamMatchesKeras() throws { try runFixtureFile("nadam") }
    func testAdamWMatchesKeras() throws { try runFixtureFile("adamw") }
    func testLionMatchesKeras() throws { try runFixtureFile("lion") }
    func testAdafactorMatchesKeras() throws { try runFixtureFile("adafactor") }
    func testFtrlMatchesKeras() throws { try runFixtureFile("ftrl") }
    func testLambMatchesKeras() throws { try runFixtureFile("lamb") }
    func testMuonMatchesKeras() throws { try runFixtureFile("muon") }
    func testScheduleFreeAdamWMatchesKeras() throws { try runFixtureFile("schedulefreeadamw") }
    func testLossScaleOptimizerMatchesKeras() throws { try runFixtureFile("lossscaleoptimizer") }
    func testMultiOptimizerMatchesKeras() throws { try runFixtureFile("multioptimizer") }
}
