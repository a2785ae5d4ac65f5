import XCTest
@testable import KerasSklearn

final class KerasEstimatorParamsTests: XCTestCase {
    func testGetParamsHasSciKerasDefaultsAndSetParamsRoutesNestedKeys() throws {
        let clf = KerasClassifier(model: mlpBuilder)
        let p = clf.getParams()
        XCTAssertEqual(p["optimizer"], "rmsprop")
        XCTAssertEqual(p["epochs"], 1)
        XCTAssertEqual(p["batch_size"], ParamValue.none)
        XCTAssertEqual(p["verbose"], 1)
        XCTAssertEqual(p["shuffle"], true)
        XCTAssertEqual(p["validation_split"], 0.0)
        XCTAssertEqual(p["warm_start"], false)
        XCTAssertEqual(p["class_weight"], ParamValue.none)
        XCTAssertNil(KerasRegressor(model: mlpBuilder).getParams()["class_weight"])
        try clf.setParams(["model__hidden": 5, "optimizer__learning_rate": 0.05, "loss__label_smoothing": 0.1, "epochs": 3])
        XCTAssertEqual(clf.getParams()["model__hidden"], 5)
        XCTAssertEqual(clf.routed("model__"), ["hidden": 5])
        XCTAssertEqual(clf.routed("optimizer__"), ["learning_rate": 0.05])
        XCTAssertThrowsError(try clf.setParams(["epoch": 3])) { e in
            XCTAssertTrue("\(e)".contains("KerasClassifier.setParams: invalid parameter 'epoch'"), "\(e)")
        }
        XCTAssertThrowsError(try clf.setParams(["model__": 3]))
    }

    func testCloneCopiesParamsAndNotTheFit() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 2, "verbose": 0, "model__hidden": 4])
        try clf.fit(x, y)
        let copy = try XCTUnwrap(try clf.clone() as? KerasClassifier)
        XCTAssertNil(copy.model)
        XCTAssertNil(copy.classes)
        XCTAssertEqual(copy.params, clf.params)
        try copy.setParams(["epochs": 9])
        XCTAssertEqual(clf.getParams()["epochs"], 2)
        XCTAssertThrowsError(try copy.predict(x)) { XCTAssertTrue("\($0)".contains("is not fitted yet")) }
        XCTAssertTrue(try KerasRegressor(model: mlpBuilder).clone() is KerasRegressor)
    }

    func testOptimizerAndLossArgumentsReachKeras() throws {
        let (x, y) = try standardizedIris()
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 1, "verbose": 0, "optimizer": "sgd",
                                                              "optimizer__learning_rate": 0.05, "optimizer__momentum": 0.9,
                                                              "loss": "categorical_crossentropy", "loss__label_smoothing": 0.1])
        try clf.fit(x, y)
        let sgd = try XCTUnwrap(clf.model?.optimizer as? SGD)
        XCTAssertEqual(sgd.momentum, 0.9)
        XCTAssertEqual(sgd.learningRate, 0.05, accuracy: 1e-7)
        XCTAssertEqual(clf.lossName, "categorical_crossentropy")

        try clf.setParams(["optimizer__momentun": 0.9])
        XCTAssertThrowsError(try clf.fit(x, y)) { XCTAssertTrue("\($0)".contains("momentun"), "\($0)") }
        let badLoss = KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "loss": "categorical_crossentropy", "loss__smoothing": 0.1])
        XCTAssertThrowsError(try badLoss.fit(x, y)) { XCTAssertTrue("\($0)".contains("smoothing"), "\($0)") }
        let badType = KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "epochs": "ten"])
        XCTAssertThrowsError(try badType.fit(x, y)) { XCTAssertTrue("\($0)".contains("'epochs' must be an integer, got 'ten'"), "\($0)") }
        let badBatch = KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "batch_size": -4])
        XCTAssertThrowsError(try badBatch.fit(x, y)) { XCTAssertTrue("\($0)".contains("batch_size"), "\($0)") }
    }

    func testRandomStateMakesFitsReproducible() throws {
        let (x, y) = try standardizedIris()
        func weights(_ seed: Int) throws -> [[Float]] {
            let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 3, "verbose": 0, "random_state": .int(seed)])
            try clf.fit(x, y)
            return try XCTUnwrap(clf.model).weights.map(\.value.scalars)
        }
        XCTAssertEqual(try weights(1), try weights(1))
        XCTAssertNotEqual(try weights(1), try weights(2))
    }

    func testModelConfigBuildsFreshModelsAndClones() throws {
        let (x, y) = try standardizedIris()
        let template = try Sequential([Dense(6, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
        let clf = KerasClassifier(model: template, params: ["epochs": 2, "verbose": 0])
        try clf.fit(x, y)
        XCTAssertFalse(clf.model === template)
        XCTAssertEqual(clf.model?.outputShape?.last ?? nil, 3)
        let copy = try XCTUnwrap(try clf.clone() as? KerasClassifier)
        XCTAssertEqual(copy.modelConfig, clf.modelConfig)
        try copy.fit(x, y)
        XCTAssertEqual(try copy.predict(x).count, 150)
        try copy.setParams(["model__hidden": 3])
        XCTAssertThrowsError(try copy.fit(x, y)) { XCTAssertTrue("\($0)".contains("need a model builder"), "\($0)") }
        // An output layer of the wrong width is an error, not silently replaced.
        let wrong = KerasClassifier(model: try Sequential([Dense(4, activation: .softmax)]), params: ["verbose": 0])
        XCTAssertThrowsError(try wrong.fit(x, y)) { XCTAssertTrue("\($0)".contains("needs 3"), "\($0)") }
    }

    func testBuilderErrorsAndBadDataNameTheProblem() throws {
        let (x, y) = try standardizedIris()
        let failing = KerasClassifier(model: { _, _ in throw KerasError.invalidArgument("no such layer") }, params: ["verbose": 0])
        XCTAssertThrowsError(try failing.fit(x, y)) { XCTAssertTrue("\($0)".contains("building the model failed: no such layer"), "\($0)") }
        let clf = KerasClassifier(model: mlpBuilder, params: ["verbose": 0])
        XCTAssertThrowsError(try clf.fit(x, .ints([0, 1]))) { XCTAssertTrue("\($0)".contains("X has 150 samples but y has 2")) }
        XCTAssertThrowsError(try clf.fit(Tensor([1, 2, 3]), .ints([0, 1, 0]))) { XCTAssertTrue("\($0)".contains("2-D")) }
        XCTAssertThrowsError(try clf.fit(x, .values(Tensor((0..<150).map { Float($0) / 7 })))) {
            XCTAssertTrue("\($0)".contains("Unknown label type: continuous"), "\($0)")
        }
        XCTAssertThrowsError(try clf.fit(x, y, sampleWeight: Tensor(shape: [150], repeating: -1))) { XCTAssertTrue("\($0)".contains("sample_weight")) }
        try clf.fit(x, y)
        XCTAssertThrowsError(try clf.predict(Tensor(shape: [2, 3]))) { XCTAssertTrue("\($0)".contains("fitted with 4 features")) }
        var nan = x.scalars; nan[5] = .nan
        XCTAssertThrowsError(try clf.predict(try Tensor(shape: [150, 4], scalars: nan))) { XCTAssertTrue("\($0)".contains("NaN")) }
        XCTAssertThrowsError(try KerasRegressor(model: mlpBuilder, params: ["verbose": 0]).fit(x, .labels(Array(repeating: "a", count: 150))))
    }
}

final class KerasCallbacksParamTests: XCTestCase {
    func testCallbackFactoriesGiveEachParallelFitItsOwnCallback() throws {
        let (x, y) = try standardizedIris()
        let made = SearchLock()
        var count = 0
        let factory = CallbackFactory {
            made.withLock { count += 1 }
            return try EarlyStopping(monitor: "loss", minDelta: 10, patience: 0)
        }
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 50, "verbose": 0, "callbacks": [.object(factory)]])
        let search = GridSearchCV(clf, ["model__hidden": [3, 5]], nJobs: 2, cv: 2, randomState: 0)
        try search.fit(x, y)
        XCTAssertEqual(count, 5)  // 4 fits + the refit
        // EarlyStopping with an impossible min_delta stops after the second epoch.
        XCTAssertEqual((search.bestEstimator as? KerasClassifier)?.history["loss"]?.count, 2)
        XCTAssertThrowsError(try KerasClassifier(model: mlpBuilder, params: ["verbose": 0, "callbacks": ["early"]]).fit(x, y)) {
            XCTAssertTrue("\($0)".contains("'callbacks' must be a list of callbacks"), "\($0)")
        }
    }
}
