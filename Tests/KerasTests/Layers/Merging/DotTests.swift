import XCTest
@testable import Keras

final class DotTests: XCTestCase {
    private let cases: [(String, () throws -> Dot)] = [
        ("dot", { try Dot(axes: 1, name: "dot") }),
        ("dot_normalize", { try Dot(axes: -1, normalize: true, name: "dot_normalize") }),
        ("dot_pair", { try Dot(axes: [1, 2], name: "dot_pair") }),
        ("dot_rank3_rank2", { try Dot(axes: [2, 1], name: "dot_rank3_rank2") }),
        ("dot_negative", { try Dot(axes: [-1, -2], name: "dot_negative") }),
        ("dot_rank4", { try Dot(axes: [3, 1], normalize: true, name: "dot_rank4") }),
    ]

    /// Forward, gradients of both inputs and config against Keras; the output shape is Keras's.
    func testMatchesKeras() throws {
        for (name, make) in cases {
            let fixture = try LayerFixture("merging/\(name)")
            let layer = try make()
            try fixture.assertLayerMatches(layer)
            fixture.assertConfigMatches(layer)
            try fixture.assertGradientsMatch(layer)
            let shapes = try fixture.inputs.map { [nil] + $0.shape.dropFirst().map { Optional($0) } }
            XCTAssertEqual(try layer.computeOutputShape(shapes: shapes), [nil] + (try fixture.outputs[0].shape.dropFirst().map { Optional($0) }), name)
            let back = try Dot.declaration.make(try LayerConfig(className: "Dot", json: fixture.config))
            fixture.assertConfigMatches(back)
        }
    }

    func testFiniteDifferencesAndFunctionalForm() throws {
        let x = GradientCheck.random([2, 3, 4], seed: 1), y = GradientCheck.random([2, 4, 3], seed: 2)
        for axes: AxisList in [[2, 1], [1, 2], -1] {
            let layer = try Dot(axes: axes, normalize: axes == -1)
            let inputs = axes == -1 ? [x, GradientCheck.random([2, 3, 4], seed: 3)] : [x, y]
            try GradientCheck.check(inputs, "Dot \(axes.configValue)") { try layer($0) }
        }
        let a = Input(shape: [5]), b = Input(shape: [5])
        XCTAssertEqual(try dot([a, b], axes: 1, normalize: true).shape, [nil, 1])
        XCTAssertEqual(try dot([Input(shape: [3, 5]), Input(shape: [4, 3])], axes: [1, 2]).shape, [nil, 5, 4])
        let u = Tensor([[3, 4]]), v = Tensor([[4, 3]])
        XCTAssertEqual(try dot([u, v], axes: -1).scalars, [24])
        XCTAssertEqual(try dot([u, v], axes: 1, normalize: true).scalars[0], 0.96, accuracy: 1e-6)
    }

    func testBadInputsNameLayerAndArgument() {
        func expect(_ body: @autoclosure () throws -> Any, _ parts: [String]) {
            XCTAssertThrowsError(try body()) { e in XCTAssertTrue(parts.allSatisfy { "\(e)".contains($0) }, "\(e)") }
        }
        expect(try Dot(axes: 3, name: "d")([Input(shape: [4]), Input(shape: [4])]), ["Dot 'd'", "axes 3", "out of range"])
        expect(try Dot(axes: [1, -4], name: "d")([Input(shape: [4]), Input(shape: [4])]), ["Dot 'd'", "axes [1, -4]", "out of range"])
        expect(try Dot(axes: 0, name: "d")([Input(shape: [4]), Input(shape: [4])]), ["Dot 'd'", "batch axis"])
        expect(try Dot(axes: 1, name: "d")([Input(shape: [4]), Input(shape: [5])]), ["Dot 'd'", "incompatible input shapes", "(None, 4) and (None, 5)"])
        expect(try Dot(axes: 1, name: "d")([Input(shape: [4]), Input(shape: [4]), Input(shape: [4])]), ["Dot 'd'", "2 inputs"])
        expect(try Dot(axes: 1, name: "d")(Tensor(shape: [2, 4])), ["Dot 'd'", "2 inputs"])
        expect(try Dot(axes: [1, 2, 3]), ["Dot(axes: [1, 2, 3])"])
        expect(try Dot(axes: 1, name: "d")([Tensor(shape: [2, 4]), Tensor(shape: [3, 4])]), ["Dot 'd'", "batch sizes"])
        expect(try Dot.declaration.make(try LayerConfig(className: "Dot", json: ["axes": "x"])), ["Dot config", "'axes'"])
    }
}
