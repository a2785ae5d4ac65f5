import XCTest
@testable import Keras

/// Every initializer, regularizer and constraint comes back from its serialized Keras form with
/// the same config (what loading a model file needs).
final class ObjectDeserializationTests: XCTestCase {
    func testInitializersRoundTripThroughTheirConfigs() throws {
        let all: [Initializer] = [Zeros(), Ones(), Constant(0.5), RandomUniform(minval: -1, maxval: 2, seed: 3),
                                  RandomNormal(mean: 1, stddev: 2, seed: 4), TruncatedNormal(seed: 5),
                                  VarianceScaling.glorotUniform(seed: 6), VarianceScaling.heNormal(),
                                  try VarianceScaling(scale: 2, mode: .fanOut, distribution: .uniform, seed: 7),
                                  Orthogonal(gain: 2, seed: 8), Identity(gain: 3)]
        for i in all {
            let back = try deserializeInitializer(i.serialized)
            XCTAssertEqual(back.className, i.className)
            XCTAssertEqual(back.config, i.config, "\(i.className)")
        }
    }

    func testRegularizersAndConstraintsRoundTrip() throws {
        let regs: [Regularizer] = [try L1(0.1), try L2(0.2), try L1L2(l1: 0.1, l2: 0.3),
                                   try OrthogonalRegularizer(factor: 0.05, mode: "columns")]
        for r in regs {
            let back = try deserializeRegularizer(r.serialized)
            XCTAssertEqual(back.config, r.config, "\(r.className)")
        }
        let cons: [Constraint] = [NonNeg(), try MaxNorm(maxValue: 3, axis: 1), UnitNorm(axis: 1),
                                  try MinMaxNorm(minValue: 0.5, maxValue: 2, rate: 0.5, axis: 0)]
        for c in cons {
            let back = try deserializeConstraint(c.serialized)
            XCTAssertEqual(back.className, c.className)
            XCTAssertEqual(back.config, c.config, "\(c.className)")
        }
    }

    func testStringNamesAndUnknownClasses() throws {
        XCTAssertEqual(try deserializeInitializer("he_uniform").className, "HeUniform")
        XCTAssertEqual(try deserializeConstraint("non_neg").className, "NonNeg")
        XCTAssertThrowsError(try deserializeInitializer(["class_name": "Mystery", "config": [:]])) { error in
            XCTAssertTrue("\(error)".contains("Mystery"), "\(error)")
        }
    }
}
