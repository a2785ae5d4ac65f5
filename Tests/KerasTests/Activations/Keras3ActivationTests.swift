import XCTest
@testable import Keras

/// The activations Keras 3 added, against real Keras (values on a grid with the kinks, and
/// gradients of a weighted sum by jax.grad; fixtures by scripts/make_keras3_vocab_fixtures.py).
final class Keras3ActivationTests: XCTestCase {
    /// The activation a fixture case names, with its arguments.
    func activation(_ name: String, _ args: JSON?) throws -> ActivationFunction {
        let a = { (k: String) in args?[k]?.doubleValue.map { Float($0) } }
        switch name {
        case "celu": return .celu(alpha: a("alpha") ?? 1)
        case "hard_shrink": return .hardShrink(threshold: a("threshold") ?? 0.5)
        case "soft_shrink": return .softShrink(threshold: a("threshold") ?? 0.5)
        case "squareplus": return .squareplus(b: a("b") ?? 4)
        case "glu": return .glu(axis: args?["axis"]?.intValue ?? -1)
        case "sparsemax": return .sparsemax(axis: args?["axis"]?.intValue ?? -1)
        case "threshold": return .threshold(try XCTUnwrap(a("threshold")), defaultValue: try XCTUnwrap(a("default_value")))
        default: return try .named(name)
        }
    }

    func testValuesAndGradientsMatchKeras() throws {
        let cases = try XCTUnwrap(VocabFixtures.load("activations", "keras3.json").arrayValue)
        XCTAssertEqual(cases.count, 22)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?", label = "\(name) \(c["args"] ?? [:])"
            let f = try activation(name, c["args"])
            let y = try VocabFixtures.tensor(c["y"])
            let ours = try f(try VocabFixtures.tensor(c["x"]))
            XCTAssertEqual(ours.shape, y.shape, label)
            assertClose(ours.scalars, y.scalars, atol: 1e-5, rtol: 1e-5, label)

            let x = try VocabFixtures.tensor(c["grad_x"]), w = try VocabFixtures.tensor(c["grad_weights"])
            let tape = GradientTape()
            let (watched, total) = try tape.record { () throws -> (Tensor, Tensor) in
                let v = tape.watch(x)
                return (v, try Ops.sum(f(v) * w))
            }
            let grad = try tape.gradient(of: total, with: [watched])[0]
            assertClose(grad.scalars, try VocabFixtures.tensor(c["grad"]).scalars, atol: 1e-5, rtol: 1e-4, "\(label): gradient")
        }
    }

    func testKeras3NamesAreBuiltinsWithKerasConfigs() throws {
        for name in ["celu", "glu", "hard_shrink", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid", "soft_shrink",
                     "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold"] {
            let f = try ActivationFunction.named(name)
            XCTAssertEqual(f.config, .string(name == "hard_swish" ? "hard_silu" : name))
        }
    }

    func testThresholdByNameNeedsItsArguments() throws {
        XCTAssertThrowsError(try ActivationFunction.named("threshold")(Tensor([1, 2]))) { e in
            XCTAssertTrue("\(e)".contains("default_value"), "\(e)")
        }
        XCTAssertEqual(try ActivationFunction.threshold(1.5, defaultValue: -1)(Tensor([1, 2])).scalars, [-1, 2])
    }

    func testGluNeedsAnEvenAxisAndSparsemaxSumsToOneOnAPair() throws {
        XCTAssertThrowsError(try ActivationFunction.glu(Tensor(shape: [2, 3], repeating: 1)))
        XCTAssertThrowsError(try ActivationFunction.sparsemax(axis: 2)(Tensor(shape: [2, 3], repeating: 1)))
        // Keras's tau sums the cumulative sums over the support: (0.6 + 0.9 - 1) / 2, where the
        // paper's is (0.9 - 1) / 2; a support of one value gives the paper's.
        let y = try ActivationFunction.sparsemax(Tensor(shape: [2, 3], scalars: [0.6, 0.3, -2, 3, 0, 1]))
        assertClose(y.scalars, [0.35, 0.05, 0, 1, 0, 0], atol: 1e-6, rtol: 0, "sparsemax")
    }
}
