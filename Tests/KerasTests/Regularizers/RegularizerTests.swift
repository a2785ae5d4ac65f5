import XCTest
@testable import Keras

final class RegularizerTests: XCTestCase {
    func testPenaltiesAndConfigsMatchKeras() throws {
        let cases = try VocabFixtures.load("regularizers", "values.json").arrayValue ?? []
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let cls = c["class"]?.stringValue ?? ""
            let r = try regularizer(className: cls, config: c["config"] ?? [:])
            XCTAssertEqual(r.className, cls)
            assertConfig(r.config, c["config"], exclude: [], cls)
            let w = try VocabFixtures.tensor(c["w"])
            XCTAssertEqual(try r(w).scalar ?? .nan, Float(c["value"]?.doubleValue ?? .nan), accuracy: 1e-6, cls)
        }
    }

    func testRegularizerGradients() throws {
        let w = GradientCheck.random([4, 3], avoiding: [0], seed: 8)
        for r: Regularizer in [try L1(0.02), try L2(0.03), try OrthogonalRegularizer(factor: 0.5),
                               try OrthogonalRegularizer(factor: 0.5, mode: .columns)] {
            try GradientCheck.check([w], r.className) { xs in try r(xs[0]) }
        }
    }

    func testNamesAndCustomRegularizers() throws {
        assertConfig(try regularizer(named: "l1").config, ["l1": 0.01])
        assertConfig(try regularizer(named: "L2").config, ["l2": 0.01])
        XCTAssertEqual(try regularizer(named: "l1l2").className, "L1L2")
        assertConfig(try regularizer(named: "l1_l2").config, ["l1": 0.01, "l2": 0.01])
        assertConfig(try regularizer(named: "orthogonal_regularizer").config, ["factor": 0.01, "mode": "rows"])
        XCTAssertThrowsError(try regularizer(named: "l3")) { e in XCTAssertTrue("\(e)".contains("l3")) }
        let sparse = RegularizerFunction("sparse") { w in try Ops.sum(Ops.abs(w)) * 0.5 }
        let dense = Dense(1, useBias: false, kernelInitializer: Ones(), kernelRegularizer: sparse, inputDim: 2)
        let model = try Sequential([dense])
        try model.compile(optimizer: .instance(try SGD(learningRate: 0)), loss: "mse")
        let loss = try model.trainOnBatch(Tensor([[0, 0]]), Tensor([[0]]))
        XCTAssertEqual(loss, 1, accuracy: 1e-6)
        XCTAssertThrowsError(try RegularizerFunction("bad") { $0 }(Tensor([1, 2])))
    }

    func testBadRegularizerArgumentsThrow() {
        XCTAssertThrowsError(try L1(-1))
        XCTAssertThrowsError(try L2(.infinity))
        XCTAssertThrowsError(try OrthogonalRegularizer(factor: -0.1))
        XCTAssertThrowsError(try OrthogonalRegularizer(mode: "diagonal")) { e in XCTAssertTrue("\(e)".contains("diagonal")) }
        XCTAssertThrowsError(try OrthogonalRegularizer()(Tensor([1, 2, 3])))
        XCTAssertThrowsError(try regularizer(className: "L1", config: ["l1": "a lot"]))
    }
}
