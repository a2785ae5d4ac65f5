import XCTest
@testable import KerasSklearn

/// Model config templates: model__<name> parameters fill {"$param": name} holes, so that a search
/// can vary the model without a Swift builder (the C ABI's and Python's way to grid over models).
final class ModelTemplateTests: XCTestCase {
    let text = """
        {"class_name": "Sequential", "config": {"layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 4]}},
          {"class_name": "Dense", "config": {"units": {"$param": "hidden", "default": 8}, "activation": {"$param": "act", "default": "relu"}}},
          {"class_name": "Dense", "config": {"units": 3, "activation": "softmax"}}]}}
        """

    func testHolesAreFilledFromModelParamsOrDefaults() throws {
        let t = try ModelTemplate(text)
        XCTAssertEqual(t.parameters.map(\.name), ["hidden", "act"])
        let filled = try t.config(["hidden": 5])
        let dense = filled["config"]?["layers"]?.arrayValue?[1]["config"]
        XCTAssertEqual(dense?["units"], 5)
        XCTAssertEqual(dense?["activation"], "relu")
        let model = try modelFromConfig(filled)
        XCTAssertEqual(model.layers[0].getConfig()["units"], 5)
    }

    func testBadTemplatesAndParametersAreErrors() throws {
        XCTAssertThrowsError(try ModelTemplate(#"{"class_name": "Sequential", "config": {"layers": []}}"#))
        XCTAssertThrowsError(try ModelTemplate(#"{"units": {"$param": ""}}"#))
        let t = try ModelTemplate(#"{"units": {"$param": "u"}}"#)
        XCTAssertThrowsError(try t.config([:])) { XCTAssertTrue("\($0)".contains("has no default: set model__u")) }
        XCTAssertThrowsError(try t.config(["u": 1, "w": 2])) { XCTAssertTrue("\($0)".contains("model__w is not a parameter")) }
    }

    func testGridSearchVariesTheModelAndClonesKeepTheTemplate() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(modelTemplate: try ModelTemplate(text),
                                  params: ["epochs": 20, "batch_size": 16, "optimizer": "adam", "verbose": 0, "random_state": 0,
                                           "loss": "sparse_categorical_crossentropy"])
        XCTAssertEqual(try clf.clone().getParams(deep: true)["model"], .string(text))
        try clf.setParams(clf.getParams())
        let search = GridSearchCV(clf, ["model__hidden": [2, 6]], cv: 2, randomState: 0)
        try search.fit(x, y)
        XCTAssertEqual(search.cvResults?.params.map { $0["model__hidden"] }, [2, 6])
        let best = try XCTUnwrap(search.bestEstimator as? KerasClassifier)
        let width = best.model?.layers.first { $0 is Dense }?.getConfig()["units"]
        XCTAssertEqual(width, .int(search.bestParams?["model__hidden"] == 2 ? 2 : 6))
    }
}
