import XCTest
@testable import Keras

final class ConstraintTests: XCTestCase {
    func testProjectionsAndConfigsMatchKeras() throws {
        let cases = try VocabFixtures.load("constraints", "values.json").arrayValue ?? []
        XCTAssertEqual(cases.count, 7)
        for c in cases {
            let cls = c["class"]?.stringValue ?? ""
            let k = try constraint(className: cls, config: c["config"] ?? [:])
            XCTAssertEqual(k.className, cls)
            assertConfig(k.config, c["config"], exclude: [], cls)
            let v = Variable(try VocabFixtures.tensor(c["w"]), name: "w")
            k.apply(v)
            assertClose(v.numpy.scalars, try VocabFixtures.tensor(c["out"]).scalars, atol: 1e-5, rtol: 1e-5, "\(cls) \(c["config"] ?? .null)")
        }
    }

    func testConstraintIsAppliedAfterEachStep() throws {
        let dense = Dense(3, kernelConstraint: UnitNorm())
        let model = try Sequential([Dense(4, inputDim: 2), dense])
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.5)), loss: "mse")
        try model.fit(Tensor([[1, 2], [3, 4]]), Tensor([[1, 0, 2], [0, 1, 3]]), epochs: 2, verbose: 0)
        let k = dense.getWeights()[0]
        for col in 0..<3 {
            let norm = (0..<4).map { k.scalars[$0 * 3 + col] }.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-5)
        }
    }

    func testNamesCustomAndBadArguments() throws {
        XCTAssertEqual(try constraint(named: "max_norm").config, ["max_value": 2.0, "axis": 0])
        XCTAssertEqual(try constraint(named: "non_neg").className, "NonNeg")
        XCTAssertEqual(try constraint(named: "unit_norm").className, "UnitNorm")
        XCTAssertEqual(try constraint(named: "MinMaxNorm").config, ["min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0])
        XCTAssertThrowsError(try constraint(named: "positive")) { e in XCTAssertTrue("\(e)".contains("positive")) }
        XCTAssertThrowsError(try MinMaxNorm(minValue: 2, maxValue: 1))
        XCTAssertThrowsError(try MinMaxNorm(rate: 1.5)) { e in XCTAssertTrue("\(e)".contains("rate: 1.5")) }
        XCTAssertThrowsError(try MaxNorm(maxValue: -1))
        let clip = ConstraintFunction("clip") { w in Ops.clip(w, -1, 1) }
        let v = Variable(Tensor([-3, 0.5, 2]), name: "v")
        clip.apply(v)
        XCTAssertEqual(v.numpy.scalars, [-1, 0.5, 1])
        ConstraintFunction("bad") { _ in Tensor([1]) }.apply(v)
        XCTAssertEqual(v.numpy.scalars, [-1, 0.5, 1])
    }
}
