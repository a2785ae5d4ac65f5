import XCTest
@testable import Keras

final class CallbackLookupTests: XCTestCase {
    func testBuiltinsComeFromKerasArguments() throws {
        let early = try XCTUnwrap(try callback(className: "EarlyStopping",
                                               arguments: ["monitor": "val_loss", "patience": 4, "verbose": 1, "baseline": nil]) as? EarlyStopping)
        XCTAssertEqual(early.patience, 4)
        XCTAssertEqual(early.verbose, 1)
        XCTAssertEqual(early.mode, .auto)
        let rlr = try XCTUnwrap(try callback(className: "ReduceLROnPlateau", arguments: ["factor": 0.5, "mode": "min"]) as? ReduceLROnPlateau)
        XCTAssertEqual(rlr.factor, 0.5)
        XCTAssertEqual(rlr.patience, 10)
        XCTAssertTrue(try callback(className: "TerminateOnNaN", arguments: [:]) is TerminateOnNaN)
        let ck = try XCTUnwrap(try callback(className: "ModelCheckpoint",
                                            arguments: ["filepath": "best_model.h5", "save_best_only": true, "save_freq": 10]) as? ModelCheckpoint)
        XCTAssertTrue(ck.saveBestOnly)
        XCTAssertEqual(ck.saveFreq, .batches(10))
        XCTAssertThrowsError(try callback(className: "ModelCheckpoint", arguments: ["filepath": "best_model.h5", "save_freq": "often"]))
        XCTAssertEqual((try callback(className: "CSVLogger", arguments: ["filename": "x.csv", "append": true]) as? CSVLogger)?.append, true)
        XCTAssertThrowsError(try callback(className: "EarlyStopping", arguments: ["patience": -1]))
        XCTAssertThrowsError(try callback(className: "EarlyStopping", arguments: ["mode": "sideways"]))
        XCTAssertThrowsError(try callback(className: "EarlyStopping", arguments: ["patients": 3])) { e in
            XCTAssertTrue("\(e)".contains("patients"))
        }
        XCTAssertThrowsError(try callback(className: "EarlyStopping", arguments: ["patience": "four"]))
        XCTAssertThrowsError(try callback(className: "CSVLogger", arguments: [:]))
        XCTAssertThrowsError(try callback(className: "ModelCheckpointer", arguments: [:]))
        XCTAssertThrowsError(try callback(className: "TerminateOnNaN", arguments: [1, 2]))
    }
}
