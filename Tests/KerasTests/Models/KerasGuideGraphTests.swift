import XCTest
@testable import Keras

/// What the keras.io functional API and training guides show about graphs, as Keras 3 does it:
/// the layers' order, a shared layer's summary row, losses by output name, a frozen nested model.
final class KerasGuideGraphTests: XCTestCase {
    /// Keras 3.15: `[l.name for l in keras.Model([a, b], out).layers]` is
    /// ['a', 'b', 'da', 'db', 'cat', 'out'] (by depth from the outputs), not the order a
    /// depth-first walk runs them in (a, da, b, db, ...).
    func testFunctionalLayersAreInKerasDepthOrder() throws {
        LayerNames.reset()
        let a = Input(shape: [4], name: "a"), b = Input(shape: [3], name: "b")
        let da = try Dense(2, name: "da")(a), db = try Dense(2, name: "db")(b)
        let out = try Dense(1, name: "out")(try Concatenate(name: "cat")([da, db]))
        let model = try Model(inputs: [a, b], outputs: out)
        XCTAssertEqual(model.layers.map(\.name), ["a", "b", "da", "db", "cat", "out"])
        XCTAssertEqual(model.getWeights().map(\.shape), [[4, 2], [2], [3, 2], [2], [4, 1], [1]])
        let rows = model.summaryText(lineLength: 108).split(separator: "\n").filter { $0.hasPrefix("│ ") && !$0.hasPrefix("│  ") }
        XCTAssertEqual(rows.map { String($0.dropFirst(2).prefix(while: { $0 != " " })) }, ["a", "b", "da", "db", "cat", "out"])
    }

    /// A layer called on two inputs is one summary row listing both calls (Keras's
    /// "embedding_2 ... input_layer_6[0][0], input_layer_7[0][0]").
    func testSharedLayerHasOneSummaryRowWithEveryCall() throws {
        LayerNames.reset()
        let a = Input(shape: [4], name: "a"), b = Input(shape: [4], name: "b")
        let shared = try Dense(2, name: "shared")
        let model = try Model(inputs: [a, b], outputs: [try shared(a), try shared(b)])
        let text = model.summaryText(lineLength: 108)
        XCTAssertEqual(text.components(separatedBy: "shared (Dense)").count, 2, text)
        XCTAssertTrue(text.contains("a[0][0], b[0][0]"), text)
    }

    /// `loss={"priority": ..., "department": ...}` on outputs [department, priority]: each
    /// output gets its own loss whatever the dict's order (they were taken in the dict's order).
    func testCompileConfigLossDictIsMatchedByOutputName() throws {
        LayerNames.reset()
        let x = Input(shape: [3], name: "x")
        let department = try Dense(4, name: "department")(x), priority = try Dense(1, name: "priority")(x)
        let model = try Model(inputs: x, outputs: [department, priority])
        try model.compileFromConfig(try JSONParser.parse("""
            {"optimizer": "sgd", "loss": {"priority": "mean_squared_error", "department": "mean_absolute_error"},
             "metrics": {"priority": ["mae"]}, "loss_weights": {"priority": 1.0, "department": 0.2}}
            """))
        let compiled = try XCTUnwrap(model.compiled)
        XCTAssertEqual(compiled.losses.map { $0?.name }, ["mean_absolute_error", "mean_squared_error"])
        XCTAssertEqual(compiled.lossWeights, [0.2, 1.0])
        XCTAssertEqual(compiled.metricSpecs.map(\.count), [0, 1])
        XCTAssertThrowsError(try model.compileFromConfig(try JSONParser.parse("""
            {"optimizer": "sgd", "loss": {"priority": "mse", "dept": "mae"}}
            """)))
    }

    /// `base_model.trainable = False` written into a config (nested or not) freezes its layers,
    /// whose own entries keep trainable true (as the Python binding writes them).
    func testFrozenModelConfigFreezesItsLayers() throws {
        let base = """
            {"class_name": "Sequential", "config": {"name": "base", "trainable": false, "layers": [
              {"class_name": "InputLayer", "config": {"batch_shape": [null, 8], "name": "base_input"}},
              {"class_name": "Dense", "config": {"name": "d1", "units": 4, "trainable": true}}]}}
            """
        XCTAssertEqual(try modelFromJSON(base).trainableWeights.count, 0)
        let outer = """
            {"class_name": "Sequential", "config": {"name": "outer", "trainable": true, "layers": [
              {"class_name": "InputLayer", "config": {"batch_shape": [null, 8], "name": "outer_input"}},
              \(base),
              {"class_name": "Dense", "config": {"name": "head", "units": 3, "trainable": true}}]}}
            """
        let model = try modelFromJSON(outer)
        XCTAssertEqual(model.trainableWeights.map(\.value.shape), [[4, 3], [3]])
        XCTAssertEqual(model.weights.count, 4)
    }
}
