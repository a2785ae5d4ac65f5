import Dispatch
import XCTest
@testable import Keras

/// The one registry: built-in, global custom and scoped objects of every family, looked up in
/// Keras's order (innermost scope, then global custom objects, then built-ins), and safe when
/// threads register and look up at the same time.
final class ObjectRegistryTests: XCTestCase {
    /// Runs `check` with nothing custom, then a global object, then a scope over it, then after
    /// the scope, then after unregistering: `expected` names the object each stage must find.
    private func assertLookupOrder(_ name: String, global: KerasObject, scoped: KerasObject,
                                   _ expected: (builtin: String, global: String, scoped: String),
                                   _ find: () throws -> String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try find(), expected.builtin, "built-in", file: file, line: line)
        ObjectRegistry.register(name, global)
        defer { ObjectRegistry.unregister(name, kind: global.kind) }
        XCTAssertEqual(try find(), expected.global, "global custom object hides the built-in", file: file, line: line)
        try CustomObjectScope([name: scoped]) {
            XCTAssertEqual(try find(), expected.scoped, "the scope hides the global object", file: file, line: line)
        }
        XCTAssertEqual(try find(), expected.global, "leaving the scope", file: file, line: line)
        ObjectRegistry.unregister(name, kind: global.kind)
        XCTAssertEqual(try find(), expected.builtin, "unregistering uncovers the built-in", file: file, line: line)
    }

    func testLossLookupOrder() throws {
        try assertLookupOrder("Huber", global: .loss { _ in MeanAbsoluteError() }, scoped: .loss { _ in Hinge() },
                              ("Huber", "MeanAbsoluteError", "Hinge")) { try Loss.from(className: "Huber", config: [:]).className }
    }

    func testActivationLookupOrder() throws {
        let twice = ActivationFunction.custom("twice") { x in x * 2 }
        let thrice = ActivationFunction.custom("thrice") { x in x * 3 }
        try assertLookupOrder("relu", global: .activation(twice), scoped: .activation(thrice),
                              ("relu", "twice", "thrice")) { try ActivationFunction.named("relu").name }
    }

    func testMetricLookupOrder() throws {
        try assertLookupOrder("mae", global: .metric { _ in try AUC() }, scoped: .metric { _ in Mean() },
                              ("MeanAbsoluteError", "AUC", "Mean")) { try Metric.named("mae").className }
    }

    func testOptimizerLookupOrder() throws {
        try assertLookupOrder("adam", global: .optimizer { _ in try SGD() }, scoped: .optimizer { _ in try RMSprop() },
                              ("Adam", "SGD", "RMSprop")) { try Optimizer.named("adam").className }
    }

    func testScheduleLookupOrder() throws {
        let config: JSON = ["initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5]
        try assertLookupOrder("ExponentialDecay", global: .schedule { _ in try PolynomialDecay(initialLearningRate: 0.1, decaySteps: 1) },
                              scoped: .schedule { _ in try CosineDecay(initialLearningRate: 0.1, decaySteps: 1) },
                              ("ExponentialDecay", "PolynomialDecay", "CosineDecay")) {
            try LearningRateSchedule.from(className: "ExponentialDecay", config: config).className
        }
    }

    func testInitializerLookupOrder() throws {
        try assertLookupOrder("glorot_uniform", global: .initializer { _ in Zeros() }, scoped: .initializer { _ in Ones() },
                              ("GlorotUniform", "Zeros", "Ones")) {
            try deserializeInitializer("glorot_uniform").className
        }
    }

    func testRegularizerLookupOrder() throws {
        try assertLookupOrder("L2", global: .regularizer { _ in try L1() }, scoped: .regularizer { _ in try L1L2() },
                              ("L2", "L1", "L1L2")) { try regularizer(className: "L2", config: ["l2": 0.5]).className }
    }

    func testConstraintLookupOrder() throws {
        try assertLookupOrder("non_neg", global: .constraint { _ in UnitNorm() }, scoped: .constraint { _ in try MaxNorm() },
                              ("NonNeg", "UnitNorm", "MaxNorm")) { try constraint(named: "non_neg").className }
    }

    func testCallbackLookupOrder() throws {
        try assertLookupOrder("EarlyStopping", global: .callback { _ in TerminateOnNaN() },
                              scoped: .callback { _ in try CSVLogger("/dev/null") },
                              ("EarlyStopping", "TerminateOnNaN", "CSVLogger")) {
            String(describing: type(of: try callback(className: "EarlyStopping", arguments: ["patience": 2])))
        }
    }

    /// Built-ins of every family are in the one table, and a built-in read from a config keeps it.
    func testEveryFamilyHasItsBuiltinsInTheRegistry() throws {
        for (kind, name) in [(KerasObjectKind.initializer, "HeNormal"), (.regularizer, "l1l2"), (.constraint, "MinMaxNorm"),
                             (.callback, "ReduceLROnPlateau"), (.layer, "Dense"), (.loss, "Huber")] {
            XCTAssertTrue(ObjectRegistry.builtinNames(kind).contains(name), "\(kind) \(name)")
        }
        let seeded = try initializer(className: "RandomNormal", config: ["mean": 1, "stddev": 0.5, "seed": 3])
        XCTAssertEqual(seeded.config["mean"]?.doubleValue, 1)
        XCTAssertEqual(seeded.config["seed"]?.intValue, 3)
        XCTAssertThrowsError(try initializer(named: "no_such_init")) { XCTAssertTrue("\($0)".contains("no_such_init")) }
        XCTAssertThrowsError(try callback(className: "NoSuchCallback", arguments: [:])) { XCTAssertTrue("\($0)".contains("EarlyStopping")) }
    }

    func testLayerLookupOrder() throws {
        let json: JSON = ["units": 2, "name": "d"]
        try assertLookupOrder("Dense", global: .layer { c in try Dropout(0.5, name: c.name) }, scoped: .layer { c in Flatten(name: c.name) },
                              ("Dense", "Dropout", "Flatten")) {
            try XCTUnwrap(ObjectRegistry.layerBuilder("Dense", registeredName: nil))(LayerConfig(className: "Dense", json: json)).className
        }
    }

    func testLambdaFunctionsComeFromTheRegistryAndScopes() throws {
        let json = #"{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "f", "function": "registry_tripled"}, "registered_name": null}"#
        let layerJSON = try JSONParser.parse(json)
        func rebuild() throws -> Float {
            let l = try XCTUnwrap(ObjectRegistry.layerBuilder("Lambda", registeredName: nil))(
                LayerConfig(className: "Lambda", json: layerJSON["config"] ?? [:]))
            return try l(Tensor([[2]])).scalars[0]
        }
        XCTAssertThrowsError(try rebuild())
        try CustomObjectScope(["registry_tripled": .function { xs in xs[0] * 3 }]) { XCTAssertEqual(try rebuild(), 6) }
        Lambda.register("registry_tripled") { x in x * 4 }
        defer { ObjectRegistry.unregister("registry_tripled") }
        XCTAssertEqual(try rebuild(), 8)
    }

    func testParallelRegistrationAndLookup() throws {
        let threads = 8, rounds = 200
        let failures = Mutex()
        nonisolated(unsafe) var wrong: [String] = []
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for r in 0..<rounds {
                let name = "parallel_\(t)_\(r % 5)"
                ObjectRegistry.register(name, .loss { _ in Hinge(name: name) })
                let found = (try? Loss.named(name))?.name
                let builtin = (try? Loss.named("mse"))?.className
                // A scope on this thread must not be seen by the others.
                let scope = CustomObjectScope(["parallel_scoped": .activation(.custom("s\(t)") { x in x })])
                let scoped = scope { (try? ActivationFunction.named("parallel_scoped"))?.name }
                if found != name || builtin != "MeanSquaredError" || scoped != "s\(t)" {
                    failures.withLock { wrong.append("\(name): \(found ?? "nil") \(builtin ?? "nil") \(scoped ?? "nil")") }
                }
                if r % 3 == 0 { ObjectRegistry.unregister(name, kind: .loss) }
            }
        }
        XCTAssertEqual(wrong, [])
        XCTAssertThrowsError(try ActivationFunction.named("parallel_scoped"))
        for t in 0..<threads { for k in 0..<5 { ObjectRegistry.unregister("parallel_\(t)_\(k)") } }
        XCTAssertFalse(ObjectRegistry.customNames(.loss).contains { $0.hasPrefix("parallel_") })
    }
}
