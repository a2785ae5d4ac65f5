import Foundation
import XCTest
@testable import Keras

/// `j` without the nested layers' `build_config`s: Keras records the concrete batch size of an
/// eager first call there (`[3, 5, 4]`), this library the symbolic one (`[null, 5, 4]`).
func withoutBuildConfigs(_ j: JSON) -> JSON {
    switch j {
    case .object(let o): return .object(o.filter { $0.0 != "build_config" }.map { ($0.0, withoutBuildConfigs($0.1)) })
    case .array(let a): return .array(a.map(withoutBuildConfigs))
    default: return j
    }
}

/// Bidirectional against `scripts/make_recurrent_fixtures.py` (real Keras 3).
final class BidirectionalTests: XCTestCase {
    private func assertMatches(_ name: String, _ layer: Bidirectional, file: StaticString = #filePath, line: UInt = #line) throws {
        let (fixture, x, outs) = try assertFixtureOutputs(name, layer, file: file, line: line)
        XCTAssertEqual(try layer.computeOutputShapes([x.shape.map { Optional($0) }]), outs.map { $0.shape.map { Optional($0) } },
                       "\(name): shapes", file: file, line: line)
        let want = withoutBuildConfigs(fixture.config)
        XCTAssertEqual(withoutBuildConfigs(layer.getConfig()), want, "\(name): config", file: file, line: line)
        let back = try deserializeLayer(["class_name": "Bidirectional", "config": fixture.config])
        XCTAssertEqual(withoutBuildConfigs(back.getConfig()), want, "\(name): config round trip", file: file, line: line)
    }

    func testMergeModesMatchKeras() throws {
        try assertMatches("bidirectional_concat_masked", Bidirectional(LSTM(3, returnSequences: true, name: "lstm"),
                                                                       name: "bidirectional_concat_masked"))
        try assertMatches("bidirectional_sum", Bidirectional(GRU(2, name: "gru"), mergeMode: .sum, name: "bidirectional_sum"))
        try assertMatches("bidirectional_ave_state", Bidirectional(LSTM(2, returnState: true, name: "lstm_1"), mergeMode: .ave,
                                                                   name: "bidirectional_ave_state"))
        try assertMatches("bidirectional_mul_seq", Bidirectional(SimpleRNN(2, returnSequences: true, name: "simple_rnn"),
                                                                 mergeMode: .mul, name: "bidirectional_mul_seq"))
        try assertMatches("bidirectional_none", Bidirectional(GRU(2, returnSequences: true, returnState: true, name: "gru_1"),
                                                              mergeMode: nil, name: "bidirectional_none"))
    }

    func testWeightPathsGradientsAndErrors() throws {
        let layer = try Bidirectional(LSTM(2, returnSequences: true, name: "lstm"), name: "bi")
        let x = GradientCheck.random([2, 3, 2], in: -1...1, seed: 3)
        _ = try layer(x)
        XCTAssertEqual(layer.weights.map(\.path).first, "bi/forward_lstm/lstm_cell/kernel")
        XCTAssertEqual(layer.weights.map(\.path).last, "bi/backward_lstm/lstm_cell/bias")
        try GradientCheck.check(layer: layer, input: x)
        XCTAssertThrowsError(try Bidirectional(LSTM(2), backwardLayer: LSTM(2))) {
            XCTAssertTrue("\($0)".contains("go_backwards"), "\($0)")
        }
    }

    func testKerasWrittenBidirectionalModelLoadsHere() throws {
        let name = "recurrent_bilstm"
        let (inputs, outputs) = try SavingFixtures.expected(name)
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("\(name).\(ext)"))
            assertClose([try model.predict(inputs[0])], outputs, "\(name).\(ext)")
            let dir = try SavingFixtures.makeTempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try model.save("\(dir)/m.\(ext)")
            assertClose([try loadModel("\(dir)/m.\(ext)").predict(inputs[0])], outputs, "\(name) saved here as .\(ext)")
        }
        let json = try String(contentsOfFile: try SavingFixtures.path("\(name).json"), encoding: .utf8)
        let fromJSON = try modelFromJSON(json)
        try fromJSON.loadWeights(try SavingFixtures.path("\(name).weights.h5"))
        assertClose([try fromJSON.predict(inputs[0])], outputs, "\(name).json + .weights.h5")
    }
}

/// TimeDistributed against real Keras.
final class TimeDistributedTests: XCTestCase {
    func testTimeDistributedMatchesKeras() throws {
        let fixture = try LayerFixture("time_distributed", family: "recurrent")
        let layer = TimeDistributed(Dense(2, name: "dense"), name: "time_distributed")
        try fixture.assertLayerMatches(layer)
        XCTAssertEqual(withoutBuildConfigs(layer.getConfig()), withoutBuildConfigs(fixture.config))
        XCTAssertEqual(withoutBuildConfigs(try deserializeLayer(["class_name": "TimeDistributed", "config": fixture.config]).getConfig()),
                       withoutBuildConfigs(fixture.config))
        XCTAssertEqual(try layer.computeOutputShape([nil, 5, 4]), [nil, 5, 2])
        try GradientCheck.check(layer: layer, input: GradientCheck.random([2, 3, 4], seed: 5))
        XCTAssertThrowsError(try TimeDistributed(Dense(2), name: "td")(Tensor(shape: [2, 3]))) {
            XCTAssertTrue("\($0)".contains("'td'") && "\($0)".contains("rank 3"), "\($0)")
        }
    }

    func testKerasWrittenTimeDistributedModelLoadsHere() throws {
        let name = "recurrent_time_distributed"
        let (inputs, outputs) = try SavingFixtures.expected(name)
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("\(name).\(ext)"))
            assertClose([try model.predict(inputs[0])], outputs, "\(name).\(ext)")
        }
    }
}
