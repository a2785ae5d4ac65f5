import XCTest
@testable import Keras

/// relu(x W1 + b1) W2 + b2: a layer holding two Dense layers in properties, the Swift twin of
/// `TwoDense` in scripts/make_nested_fixtures.py (registered as `swiftkeras_test>TwoDense`).
final class TwoDense: Layer, @unchecked Sendable {
    let units: Int
    let first: Dense
    let second: Dense

    init(units: Int, name: String? = nil) {
        self.units = units
        first = Dense(units, activation: .relu)
        second = Dense(units)
        super.init(name: name)
    }

    override func build(_ inputShape: [Int?]) throws {
        try first.buildIfNeeded(inputShape)
        try second.buildIfNeeded(Array(inputShape.dropLast()) + [units])
    }

    override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try second(first(inputs, training: training), training: training)
    }

    override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { Array(inputShape.dropLast()) + [units] }

    override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("units", .int(units))
        return c
    }

    static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = TwoDense(units: try c.int("units"), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }

    static func register() {
        registerKerasSerializable(package: "swiftkeras_test", name: "TwoDense", .layer(fromConfig))
    }
}

/// What real Keras reported for the fixture models of scripts/make_nested_fixtures.py.
struct NestedFixture {
    let inputs: [Tensor], outputs: [Tensor]
    let json: JSON

    init(_ name: String) throws {
        (inputs, outputs) = try SavingFixtures.expected(name)
        json = try JSONParser.parse(try String(contentsOfFile: try SavingFixtures.path(name + ".expected.json"), encoding: .utf8))
    }

    func strings(_ key: String) throws -> [String] { try XCTUnwrap(json[key]?.arrayValue).compactMap(\.stringValue) }

    /// Legacy `.h5` weight names per layer group.
    func h5Names(_ layer: String) throws -> [String] {
        try XCTUnwrap(json["h5_weight_names"]?[layer]?.arrayValue).compactMap(\.stringValue)
    }
}

/// A custom layer made of two Dense layers: tracked, trained, frozen, saved and loaded as Keras 3
/// does it (fixtures written by real Keras with scripts/make_nested_fixtures.py).
final class NestedLayerTests: XCTestCase {
    override func setUp() {
        TwoDense.register()
        clearSession()
    }

    /// x(3) → TwoDense(4, "block") → Dense(2, "head"), as the fixture's functional model.
    func makeFunctional() throws -> (Model, TwoDense) {
        let block = TwoDense(units: 4, name: "block")
        let x = Input(shape: [3], name: "x")
        let out = try Dense(2, name: "head")(try block(x))
        return (try Model(inputs: x, outputs: out, name: "nested_block"), block)
    }

    func testBlockWeightsPathsAndFreezingMatchKeras() throws {
        let fixture = try NestedFixture("nested_block")
        let (model, block) = try makeFunctional()
        XCTAssertTrue(block.sublayers.elementsEqual([block.first, block.second], by: ===))
        XCTAssertEqual(model.weights.map(\.path), try fixture.strings("weights"))
        XCTAssertEqual(model.trainableWeights.map(\.path), try fixture.strings("weights"))
        XCTAssertEqual(block.weights.count, 4)
        XCTAssertEqual(try block.countParams(), 3 * 4 + 4 + 4 * 4 + 4)
        XCTAssertEqual(try model.countParams(), 36 + 4 * 2 + 2)

        block.trainable = false
        XCTAssertFalse(block.first.trainable)
        XCTAssertFalse(block.second.trainable)
        XCTAssertEqual(model.trainableWeights.map(\.path), try fixture.strings("trainable_weights_block_frozen"))
        XCTAssertEqual(block.nonTrainableWeights.count, 4)
        block.trainable = true
        XCTAssertTrue(block.first.trainable && block.second.trainable)
        XCTAssertEqual(model.trainableWeights.count, 6)
    }

    func testBlockTrainsAndFrozenBlockStaysPut() throws {
        let (model, block) = try makeFunctional()
        let x = try Tensor(shape: [16, 3], scalars: (0..<48).map { Float(($0 * 37) % 23) / 11 - 1 })
        let y = try Ops.matmul(x, Tensor([[1, -1], [0.5, 2], [-1, 0.3]]))
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.05)), loss: "mse")
        let before = block.getWeights()
        let history = try model.fit(x, y, batchSize: 4, epochs: 20, verbose: 0)
        let losses = try XCTUnwrap(history.history["loss"])
        XCTAssertLessThan(try XCTUnwrap(losses.last), try XCTUnwrap(losses.first) * 0.8)
        for (b, a) in zip(before, block.getWeights()) where b.shape.count == 2 {
            XCTAssertNotEqual(b.scalars, a.scalars, "both Dense kernels of the block train")
        }

        block.trainable = false
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.05)), loss: "mse")
        let frozen = block.getWeights()
        let head = try model.getLayer(name: "head").getWeights()
        try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0)
        XCTAssertEqual(block.getWeights().map(\.scalars), frozen.map(\.scalars))
        XCTAssertNotEqual(try model.getLayer(name: "head").getWeights().map(\.scalars), head.map(\.scalars))
    }

    func testWeightsFilesUseKerasPathsAndNames() throws {
        let fixture = try NestedFixture("nested_block")
        let (model, _) = try makeFunctional()
        XCTAssertEqual(WeightsH5Store.entries(model).map(\.path).sorted(), try fixture.strings("keras_vars_groups"))
        XCTAssertEqual(LegacyH5Format.weights(of: try model.getLayer(name: "block")).map(\.name), try fixture.h5Names("block"))

        clearSession()
        let seqFixture = try NestedFixture("nested_block_seq")
        let seq = try Sequential([InputLayer(shape: [3]), TwoDense(units: 4, name: "block"), Dense(2, name: "head")],
                                 name: "nested_block_seq")
        for name in ["block", "head"] {
            XCTAssertEqual(LegacyH5Format.weights(of: try seq.getLayer(name: name)).map(\.name), try seqFixture.h5Names(name))
        }
    }

    /// Variable paths as Keras 3 gives them (`[v.path for v in model.weights]`, checked with
    /// Keras 3.15): a Sequential scopes the layers it builds, not layers built before they were
    /// added; a functional model scopes nothing.
    func testSequentialScopesTheWeightsItBuilds() throws {
        func paths(_ m: Model) -> [String] { m.weights.map(\.path) }
        let inner = try Sequential([Dense(2, name: "a")], name: "inner")
        let outer = try Sequential([InputLayer(shape: [3]), inner, Dense(1, name: "b")], name: "outer")
        XCTAssertEqual(paths(outer), ["outer/inner/a/kernel", "outer/inner/a/bias", "outer/b/kernel", "outer/b/bias"])
        let built = try Sequential([InputLayer(shape: [3]), Dense(2, name: "c")], name: "built")
        let outer2 = try Sequential([InputLayer(shape: [3]), built, Dense(1, name: "d")], name: "outer2")
        XCTAssertEqual(paths(outer2), ["built/c/kernel", "built/c/bias", "outer2/d/kernel", "outer2/d/bias"])
        let x = Input(shape: [3])
        let functional = try Model(inputs: x, outputs: try Sequential([Dense(2, name: "e")], name: "s")(x))
        XCTAssertEqual(paths(functional), ["s/e/kernel", "s/e/bias"])
        let prebuilt = Dense(2, name: "f")
        _ = try prebuilt(Tensor(shape: [1, 3]))
        XCTAssertEqual(paths(try Sequential([InputLayer(shape: [3]), prebuilt], name: "late")), ["f/kernel", "f/bias"])
        let shaped = try Sequential([Dense(2, name: "g")], name: "shaped")
        try shaped.build(inputShape: [nil, 3])
        XCTAssertEqual(paths(shaped), ["shaped/g/kernel", "shaped/g/bias"])
        let lazy = try Sequential([Dense(2, name: "h")], name: "lazy")
        _ = try lazy.predict(Tensor(shape: [1, 3]))
        XCTAssertEqual(paths(lazy), ["lazy/h/kernel", "lazy/h/bias"])
    }

    func testNestedSequentialLegacyNamesMatchKeras() throws {
        let fixture = try NestedFixture("nested_model_seq")
        let inner = try Sequential([InputLayer(shape: [3]), Dense(4), Dense(2)], name: "inner")
        let outer = try Sequential([InputLayer(shape: [3]), inner, Dense(1, name: "head")], name: "outer")
        for name in ["inner", "head"] {
            XCTAssertEqual(LegacyH5Format.weights(of: try outer.getLayer(name: name)).map(\.name), try fixture.h5Names(name))
        }
        let model = try loadModel(try SavingFixtures.path("nested_model_seq.h5"))
        assertClose(try model.predict(fixture.inputs), fixture.outputs, "nested_model_seq.h5")
    }

    func testPenaltiesOfSublayersJoinTheLoss() throws {
        final class Regularized: Layer, @unchecked Sendable {
            let dense = Dense(2, kernelRegularizer: try? L1L2.l2(0.5), activityRegularizer: try? L1L2(l1: 0.25))
            override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
                addLoss(Tensor(3))
                return try dense(inputs, training: training)
            }
            override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { [inputShape[0], 2] }
        }
        let layer = Regularized()
        let model = try Sequential([InputLayer(shape: [2]), layer])
        try layer.dense.setWeights([Tensor([[1, -2], [0.5, 1]]), Tensor([0, 0])])
        model.clearAllLosses()
        _ = try model.forward([Tensor([[1, 1]])], training: true)
        // addLoss 3; activity: 0.25 * (|1.5| + |-1|) / batch 1; kernel: 0.5 * (1 + 4 + 0.25 + 1).
        let penalties = try model.collectLosses().map { try XCTUnwrap($0.scalar) }
        XCTAssertEqual(penalties, [3, 0.625, 3.125])
        layer.trainable = false
        XCTAssertEqual(try model.collectLosses().count, 2, "a frozen sublayer's weights are not regularized")
        model.clearAllLosses()
        XCTAssertTrue(try model.collectLosses().isEmpty)
    }

    func testBlockRoundTripsThroughKerasH5AndWeightsFiles() throws {
        let (model, _) = try makeFunctional()
        try model.compile(optimizer: "adam", loss: "mse")
        let x = Tensor([[0.5, -1, 2], [1, 0, -0.5]])
        try model.fit(x, Tensor([[1, 0], [0, 1]]), epochs: 3, verbose: 0)
        let want = try model.predict(x)
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            let back = try loadModel("\(dir)/m.\(ext)")
            XCTAssertTrue(try back.getLayer(name: "block") is TwoDense, ext)
            assertClose([try back.predict(x)], [want], "reloaded .\(ext)")
            XCTAssertEqual(back.optimizer?.iterations, model.optimizer?.iterations, ext)
        }
        try model.saveWeights("\(dir)/m.weights.h5")
        clearSession()
        let (fresh, _) = try makeFunctional()
        try fresh.loadWeights("\(dir)/m.weights.h5")
        assertClose([try fresh.predict(x)], [want], "weights.h5 into a fresh model")
    }

    func testKerasWrittenBlockLoadsHere() throws {
        let fixture = try NestedFixture("nested_block")
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("nested_block.\(ext)"))
            assertClose(try model.predict(fixture.inputs), fixture.outputs, "nested_block.\(ext)")
        }
        let json = try String(contentsOfFile: try SavingFixtures.path("nested_block.json"), encoding: .utf8)
        let fromJSON = try modelFromJSON(json)
        try fromJSON.loadWeights(try SavingFixtures.path("nested_block.weights.h5"))
        assertClose(try fromJSON.predict(fixture.inputs), fixture.outputs, "nested_block.json + .weights.h5")

        let seqFixture = try NestedFixture("nested_block_seq")
        let seq = try loadModel(try SavingFixtures.path("nested_block_seq.h5"))
        assertClose(try seq.predict(seqFixture.inputs), seqFixture.outputs, "nested_block_seq.h5")
    }

    func testSublayersFoundInListsAndRenamedProperties() throws {
        final class Stack: Layer, @unchecked Sendable {
            var blocks: [Layer] = [Dense(2), Dense(2), Flatten()]
            let forwardLayer = Dense(3)
            let fwd = Dense(1)
            override var sublayerAttributeNames: [String: String] { ["fwd": "backward_layer"] }
            override func build(_ inputShape: [Int?]) throws {
                var shape = inputShape
                for b in blocks { try b.buildIfNeeded(shape); shape = try b.computeOutputShape(shape) }
                try forwardLayer.buildIfNeeded(inputShape)
                try fwd.buildIfNeeded(inputShape)
            }
        }
        let stack = Stack()
        try stack.buildIfNeeded([nil, 4])
        XCTAssertEqual(stack.trackedSublayers().attributes.map(\.name), ["blocks", "forward_layer", "backward_layer"])
        XCTAssertEqual(stack.weights.count, 8)
        XCTAssertEqual(kerasSnakeCase("Conv2DTranspose"), "conv2d_transpose")
        XCTAssertEqual(kerasSnakeCase("PReLU"), "p_re_lu")
        let model = try Sequential([InputLayer(shape: [4]), stack])
        let paths = WeightsH5Store.entries(model).map(\.path).filter { $0.hasPrefix("layers/stack/") }
        XCTAssertEqual(paths.sorted(), ["layers/stack/backward_layer/vars", "layers/stack/blocks/dense/vars",
                                        "layers/stack/blocks/dense_1/vars", "layers/stack/blocks/flatten/vars",
                                        "layers/stack/forward_layer/vars", "layers/stack/vars"])
    }

    func testSublayersCreatedUnbuiltAreBuiltBySymbolicCall() throws {
        final class Lazy: Layer, @unchecked Sendable {
            let inner = Dense(2)
            override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try inner(inputs, training: training) }
            override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { [inputShape[0], 2] }
        }
        let lazy = Lazy(name: "lazy")
        _ = try lazy(Input(shape: [5]))
        XCTAssertEqual(lazy.weights.map(\.path), ["lazy/\(lazy.inner.name)/kernel", "lazy/\(lazy.inner.name)/bias"])
    }
}

/// Writes a Swift-trained model holding the block into `$SWIFTKERAS_INTEROP_OUT` for
/// Tests/interop/test_nested_in_keras.py, which loads it in real Keras with `TwoDense`
/// registered there (run by `make test-python`, whose filter matches this class's name).
final class NestedBlockInteropExportTests: XCTestCase {
    func testWriteNestedBlockForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        TwoDense.register()
        setRandomSeed(12)
        let seq = try Sequential([InputLayer(shape: [3]), TwoDense(units: 4, name: "block"), Dense(2, name: "head")],
                                 name: "swift_nested")
        let x = Tensor([[0.5, -1, 2], [1, 0, -0.5], [0.3, 0.3, 0.3], [-2, 1, 0]])
        // Keras 3.15 cannot compile a legacy .h5 whose loss is "mse", even one it wrote itself.
        try seq.compile(optimizer: "adam", loss: "mean_squared_error")
        try seq.fit(x, Tensor([[1, 0], [0, 1], [1, 1], [0, 0]]), epochs: 3, verbose: 0)
        try seq.save("\(out)/swift_nested.keras")
        try seq.save("\(out)/swift_nested.h5")
        try seq.saveWeights("\(out)/swift_nested.weights.h5")
        try seq.save("\(out)/swift_nested.json")
        let preds = try seq.predict(x)
        let rows = { (t: Tensor) -> JSON in
            let cols = t.shape[1]
            return .array((0..<t.shape[0]).map { r in .array((0..<cols).map { .double(Double(t.scalars[r * cols + $0])) }) })
        }
        let info: JSON = ["inputs": .array([rows(x)]), "outputs": .array([rows(preds)]),
                          "iterations": .int(seq.optimizer?.iterations ?? 0)]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(out)/swift_nested.expected.json"))
    }
}
