import XCTest
@testable import KerasBench
import Keras

/// The bench entry points run every optimizer and loss, and warm optimizer steps allocate no
/// tensor storage.
final class TrainingStepCostsTests: XCTestCase {
    func testOptimizerStepsCoverEveryOptimizerAndAllocateNothingWarm() throws {
        let figures = try TrainingStepCosts.optimizerSteps(steps: 5, repeats: 1)
        XCTAssertEqual(figures.count, TrainingStepCosts.optimizerCases().count)
        for f in figures {
            XCTAssertTrue(f.secondsPerStep.isFinite && f.secondsPerStep > 0, f.name)
            XCTAssertEqual(f.poolMissesPerStep, 0, "\(f.name) takes new buffers on warm steps")
        }
        XCTAssertTrue(figures.contains { $0.name == "optimizer_step_lion" })
    }

    func testLossStepsCoverEveryLoss() throws {
        let figures = try TrainingStepCosts.lossSteps(batch: 8, classes: 3, steps: 3, repeats: 1)
        XCTAssertEqual(figures.count, TrainingStepCosts.lossCases.count + 2)
        for f in figures { XCTAssertTrue(f.secondsPerStep.isFinite && f.secondsPerStep > 0, f.name) }
        XCTAssertThrowsError(try TrainingStepCosts.lossSteps(classes: 1))
    }
}
