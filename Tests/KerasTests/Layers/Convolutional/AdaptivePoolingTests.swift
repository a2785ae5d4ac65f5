import XCTest
@testable import Keras

/// The adaptive poolings' bins, values against a direct computation of each box, their
/// finite-difference gradients, config and bad input (their numbers against real Keras are
/// bindings/python/tests/test_adaptive_pooling.py).
final class AdaptivePoolingTests: XCTestCase {
    func testBinsArePyTorchs() {
        // [floor(i n / k), ceil((i + 1) n / k)): overlapping when k does not divide n.
        XCTAssertEqual(Ops.adaptiveBins(length: 7, count: 3), [0..<3, 2..<5, 4..<7])
        XCTAssertEqual(Ops.adaptiveBins(length: 6, count: 3), [0..<2, 2..<4, 4..<6])
        XCTAssertEqual(Ops.adaptiveBins(length: 3, count: 5), [0..<1, 0..<2, 1..<2, 1..<3, 2..<3])
    }

    func testValuesAreEachBoxsMeanAndMaximum() throws {
        let x = GradientCheck.random([2, 7, 5, 3], seed: 4)
        for takesMaximum in [false, true] {
            let layer: Layer = takesMaximum ? try AdaptiveMaxPooling2D(outputSize: [3, 4])
                                            : try AdaptiveAveragePooling2D(outputSize: [3, 4])
            let y = try layer(x)
            XCTAssertEqual(y.shape, [2, 3, 4, 3])
            let rows = Ops.adaptiveBins(length: 7, count: 3), cols = Ops.adaptiveBins(length: 5, count: 4)
            for n in 0..<2 { for (i, r) in rows.enumerated() { for (j, c) in cols.enumerated() { for ch in 0..<3 {
                let box = r.flatMap { h in c.map { w in x.data[((n * 7 + h) * 5 + w) * 3 + ch] } }
                let want = takesMaximum ? box.max() ?? 0 : box.reduce(0, +) / Float(box.count)
                XCTAssertEqual(y.data[((n * 3 + i) * 4 + j) * 3 + ch], want, accuracy: 1e-6)
            } } } }
        }
    }

    func testGradients() throws {
        let cases: [(Layer, [Int])] = [
            (try AdaptiveAveragePooling1D(outputSize: [3]), [2, 7, 2]),
            (try AdaptiveMaxPooling1D(outputSize: [5], dataFormat: .channelsFirst), [2, 2, 3]),
            (try AdaptiveAveragePooling2D(outputSize: [3, 2], dataFormat: .channelsFirst), [1, 2, 5, 4]),
            (try AdaptiveMaxPooling2D(outputSize: [2, 3]), [2, 5, 4, 2]),
            (try AdaptiveAveragePooling3D(outputSize: [2], dataFormat: .channelsFirst), [1, 2, 3, 3, 4]),
            (try AdaptiveMaxPooling3D(outputSize: [2, 1, 3]), [1, 3, 2, 5, 2]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            try GradientCheck.check(layer: layer, input: GradientCheck.distinct(shape, seed: UInt64(70 + i)))
        }
    }

    func testConfigAndShapes() throws {
        let pool = try AdaptiveAveragePooling3D(outputSize: [2], dataFormat: .channelsFirst)
        XCTAssertEqual(pool.getConfig()["output_size"], [2, 2, 2])
        XCTAssertEqual(pool.getConfig()["data_format"], "channels_first")
        XCTAssertEqual(try pool.computeOutputShape([nil, 3, 9, nil, 4]), [nil, 3, 2, 2, 2])
        let again = try deserializeLayer(["class_name": "AdaptiveMaxPooling1D", "config": ["output_size": [4]]])
        XCTAssertEqual(try again.computeOutputShape([nil, 9, 3]), [nil, 4, 3])
        XCTAssertEqual(ObjectRegistry.layerCatalogue["AdaptiveMaxPooling2D"]?["args"]?.arrayValue?.first?["required"], true)
    }

    func testBadInput() throws {
        func expect(_ text: String, _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(text), "wanted '\(text)' in \($0)") }
        }
        expect("output_size") { try AdaptiveMaxPooling2D(outputSize: [0]) }
        expect("output_size") { try AdaptiveAveragePooling1D(outputSize: [2, 2]) }
        expect("rank 5") { try AdaptiveMaxPooling3D(outputSize: [2])(Tensor(shape: [2, 3, 4, 2])) }
        expect("output_size") { try deserializeLayer(["class_name": "AdaptiveAveragePooling2D", "config": [:]]) }
        expect("length 0") { try Ops.adaptivePool(Tensor(shape: [2, 0, 3]), axis: 1, outputSize: 2, takesMaximum: true) }
    }
}
