import XCTest
@testable import Keras

/// `summary()` prints the table Keras prints (reference/keras-formats.md §d, verified output).
final class SummaryTests: XCTestCase {
    func mnistMLP() throws -> Sequential {
        LayerNames.reset()
        return try Sequential([Dense(128, activation: .relu, inputShape: [784]), Dense(10)])
    }

    func testKeras3SummaryMatchesKerasTextAt88Columns() throws {
        let text = try mnistMLP().summaryText(style: .keras3, lineLength: 88)
        let expected = """
        Model: "sequential"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
        ┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
        │ dense (Dense)                        │ (None, 128)                 │         100,480 │
        ├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
        │ dense_1 (Dense)                      │ (None, 10)                  │           1,290 │
        └──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
         Total params: 101,770 (397.54 KB)
         Trainable params: 101,770 (397.54 KB)
         Non-trainable params: 0 (0.00 B)

        """
        XCTAssertEqual(text, expected)
    }

    func testKeras2SummaryMatchesKeras215Layout() throws {
        let text = try mnistMLP().summaryText(style: .keras2)
        let trimmed = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
        let expected = """
        Model: "sequential"
        _________________________________________________________________
         Layer (type)                Output Shape              Param #
        =================================================================
         dense (Dense)               (None, 128)               100480

         dense_1 (Dense)             (None, 10)                1290

        =================================================================
        Total params: 101770 (397.54 KB)
        Trainable params: 101770 (397.54 KB)
        Non-trainable params: 0 (0.00 Byte)
        _________________________________________________________________

        """
        XCTAssertEqual(trimmed, expected)
    }

    func testOptimizerParamsAreCountedOnceBuilt() throws {
        let model = try mnistMLP()
        try model.compile(optimizer: "adam", loss: "mse")
        XCTAssertFalse(model.summaryText(lineLength: 88).contains("Optimizer params"))
        try model.trainOnBatch(Tensor(shape: [2, 784], repeating: 0.1), Tensor(shape: [2, 10], repeating: 0))
        let text = model.summaryText(lineLength: 88)
        // Adam keeps two slots per weight plus iteration and learning rate: 2 * 101,770 + 2.
        XCTAssertTrue(text.contains(" Optimizer params: 203,542 (795.09 KB)"), text)
        XCTAssertTrue(text.contains(" Total params: 305,312 (1.16 MB)"), text)
    }

    func testFunctionalSummaryHasConnectedToColumn() throws {
        LayerNames.reset()
        let a = Input(shape: [4], name: "a"), b = Input(shape: [3], name: "b")
        let da = try Dense(2, name: "da")(a), db = try Dense(2, name: "db")(b)
        let model = try Model(inputs: [a, b], outputs: [da, db])
        let text = model.summaryText(lineLength: 108)
        XCTAssertTrue(text.contains("Connected to"), text)
        XCTAssertTrue(text.contains("a[0][0]"), text)
        XCTAssertTrue(text.contains("a (InputLayer)"), text)
        XCTAssertEqual(text.split(separator: "\n")[1].count, 108)
    }

    func testColumnWidthsFollowRichReduction() {
        XCTAssertEqual(Model.richColumnWidths(fractions: [0.45, 0.80, 1.0], lineLength: 88), [36, 27, 15])
    }

    /// Lines as rich's `Text.wrap(console, width, overflow="ellipsis")` gives them.
    func testCellsWrapAsRichWithEllipsis() {
        XCTAssertEqual(Model.richWrap("batch_normalization_1 (BatchNormalization)", width: 19),
                       ["batch_normalizatio…", "(BatchNormalizatio…"])
        XCTAssertEqual(Model.richWrap("dense[0][0], targets[0][0], sample_weight[0][0]", width: 17),
                       ["dense[0][0],", "targets[0][0],", "sample_weight[0]…"])
        XCTAssertEqual(Model.richWrap("(None, 16, 16, 64)", width: 17), ["(None, 16, 16,", "64)"])
    }

    func testSummaryOptionsMatchKeras() throws {
        let keras = try loadFixture("models/summary_options.json")
        let model = try Sequential([Dense(5, activation: .relu, name: "hidden", inputShape: [4]), Dropout(0.1, name: "drop"),
                                    Dense(2, name: "out")], name: "mlp")
        model.layers[0].trainable = false
        func same(_ text: String, _ key: String) throws {
            let expected = try XCTUnwrap(keras[key]?.stringValue, key)
            XCTAssertEqual(text.trimmingCharacters(in: .newlines), expected.trimmingCharacters(in: .newlines), key)
        }
        try same(try model.summaryText(lineLength: 100, showTrainable: true), "show_trainable")
        try same(try model.summaryText(lineLength: 70, positions: [0.5, 0.7, 1.0]), "positions")
        try same(try model.summaryText(lineLength: 88, layerRange: ("drop", "out")), "layer_range")
        try same(try model.summaryText(lineLength: 90, positions: [0.4, 0.8, 1.0], showTrainable: true, layerRange: ("hid", "drop")), "all")
        XCTAssertThrowsError(try model.summaryText(layerRange: ("nope", "out")))
        XCTAssertThrowsError(try model.summaryText(positions: [0.5, 1.0]))
        XCTAssertThrowsError(try model.summaryText(lineLength: 20, positions: [0.01, 0.5, 1.0]))
    }
}
