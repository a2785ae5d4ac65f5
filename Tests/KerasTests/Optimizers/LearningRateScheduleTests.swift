import XCTest
@testable import Keras

/// Schedules against real Keras: values at fixed steps and configs
/// (fixtures by scripts/make_optimizer_fixtures.py).
final class LearningRateScheduleTests: XCTestCase {
    func testSchedulesMatchKerasValuesAndConfigs() throws {
        let cases = try XCTUnwrap(loadFixture("optimizers/schedules.json").arrayValue)
        XCTAssertEqual(cases.count, 12)
        for c in cases {
            let className = try XCTUnwrap(c["class_name"]?.stringValue)
            let config = try XCTUnwrap(c["config"])
            let schedule = try LearningRateSchedule.from(className: className, config: config)
            XCTAssertEqual(schedule.config, config, className)
            XCTAssertEqual(schedule.serialized, c["serialized"], className)
            let steps = try XCTUnwrap(c["steps"]).ints
            let values = try XCTUnwrap(c["values"]).floats
            assertClose(steps.map { schedule($0) }, values, atol: 1e-7, "\(className) \(config)")
        }
    }

    func testSwiftInitializersGiveKerasConfigs() throws {
        let exp = try ExponentialDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5)
        XCTAssertEqual(exp.config, ["initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
                                    "staircase": false, "name": "ExponentialDecay"])
        let cos = try CosineDecay(initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.1, warmupSteps: 10)
        XCTAssertEqual(cos(10), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cos(5), 0.05, accuracy: 1e-7)
        let pw = try PiecewiseConstantDecay(boundaries: [5, 20], values: [0.1, 0.05, 0.01])
        XCTAssertEqual([pw(5), pw(6), pw(20), pw(21)], [0.1, 0.05, 0.05, 0.01])
    }

    func testBadArgumentsThrow() {
        XCTAssertThrowsError(try ExponentialDecay(initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5)) {
            XCTAssertTrue("\($0)".contains("decay_steps"), "\($0)")
        }
        XCTAssertThrowsError(try PiecewiseConstantDecay(boundaries: [1, 2], values: [0.1, 0.2]))
        XCTAssertThrowsError(try CosineDecayRestarts(initialLearningRate: 0.1, firstDecaySteps: -1))
        XCTAssertThrowsError(try LearningRateSchedule.from(className: "NoSuchDecay", config: [:]))
        XCTAssertThrowsError(try LearningRateSchedule.from(className: "ExponentialDecay",
                                                           config: ["initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5, "bogus": 1]))
        XCTAssertThrowsError(try PolynomialDecay.from(className: "PolynomialDecay", config: ["decay_steps": 10]))
    }
}
