import Foundation
import XCTest
@testable import Keras

final class TensorBoardTests: XCTestCase {
    private var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "tensorboard-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testCRC32CAndMaskMatchTheTFRecordDefinition() {
        // The check value of CRC-32C, and TensorFlow's mask of it.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(PNG.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        let c: UInt32 = 0xE306_9283
        XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }

    func testHistogramBucketsAreTensorBoards() {
        let b = histogramBuckets([0, 1, 2, 3, 3], count: 3)
        XCTAssertEqual(b, [0, 1, 1, 1, 2, 1, 2, 3, 3])
        XCTAssertEqual(histogramBuckets([2, 2], count: 2), [2, 2, 0, 2, 2, 2])
        XCTAssertEqual(histogramBuckets([], count: 2), [0, 0, 0, 0, 0, 0])
    }

    private func trained(_ callback: TensorBoard, epochs: Int = 3) throws -> (Sequential, History) {
        let model = try Sequential([Dense(3, inputDim: 2), Dense(1)])
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.05)), loss: "mse", metrics: ["mae"])
        let x = Tensor((0..<20).map { [Float($0) / 20, Float($0 % 3)] }), y = Tensor((0..<20).map { [Float($0) / 10] })
        let h = try model.fit(x, y, batchSize: 4, epochs: epochs, verbose: 0, callbacks: [callback], validationSplit: 0.2, shuffle: false)
        return (model, h)
    }

    func testFitWritesEpochFiguresToTrainAndValidation() throws {
        let (model, h) = try trained(try TensorBoard(logDir: dir))
        let train = try EventFileReader.readDirectory(dir + "/train")
        XCTAssertEqual(train.first?.fileVersion, "brain.Event:2")
        let graph = try XCTUnwrap(train.first { $0.values.first?.tag == "keras" }?.values.first)
        XCTAssertEqual(graph.plugin, "graph_keras_model")
        XCTAssertEqual(graph.pluginContent, Array("1".utf8))
        XCTAssertEqual(graph.strings, [model.toJSON()])
        for key in ["loss", "mae"] {
            let points = train.filter { $0.values.contains { $0.tag == "epoch_\(key)" } }
            XCTAssertEqual(points.map(\.step), [0, 1, 2])
            let values = points.compactMap { $0.values.first { $0.tag == "epoch_\(key)" } }
            XCTAssertTrue(values.allSatisfy { $0.plugin == "scalars" && $0.dtype == 1 && $0.shape.isEmpty }, key)
            XCTAssertEqual(values.map { $0.numbers[0] }, try XCTUnwrap(h.history[key]).map { Double(Float($0)) })
        }
        let rates = train.compactMap { $0.values.first { $0.tag == "epoch_learning_rate" }?.numbers.first }
        XCTAssertEqual(rates, [0.05, 0.05, 0.05].map { Double(Float($0)) })
        XCTAssertFalse(train.contains { $0.values.contains { $0.tag.hasPrefix("batch_") || $0.tag.hasPrefix("epoch_val") } })
        let validation = try EventFileReader.readDirectory(dir + "/validation")
        let valLoss = validation.compactMap { $0.values.first { $0.tag == "epoch_loss" }?.numbers.first }
        XCTAssertEqual(valLoss, try XCTUnwrap(h.history["val_loss"]).map { Double(Float($0)) })
        // Keras's evaluation figures against the optimizer's step: 4 steps per epoch.
        let evaluation = validation.filter { $0.values.contains { $0.tag == "evaluation_loss_vs_iterations" } }
        XCTAssertEqual(evaluation.map(\.step), [4, 8, 12])
        XCTAssertEqual(evaluation.compactMap { $0.values.first?.numbers.first }, valLoss)
    }

    func testBatchFiguresEveryUpdateFreqBatchesAndHistograms() throws {
        let (model, _) = try trained(try TensorBoard(logDir: dir, histogramFreq: 2, updateFreq: .batches(3)))
        let train = try EventFileReader.readDirectory(dir + "/train")
        let batchSteps = train.filter { $0.values.contains { $0.tag == "batch_loss" } }.map(\.step)
        XCTAssertEqual(batchSteps, [3, 6, 9, 12])
        XCTAssertTrue(train.contains { $0.values.contains { $0.tag == "batch_mae" } })
        let weights = model.layers.flatMap(\.weights)
        for epoch in [0, 2] {
            let event = try XCTUnwrap(train.first { $0.step == epoch && $0.values.first?.plugin == "histograms" })
            XCTAssertEqual(event.values.map(\.tag), weights.map { $0.path + "/histogram" })
            for v in event.values {
                XCTAssertEqual(v.dtype, 2)
                XCTAssertEqual(v.shape, [30, 3])
            }
        }
        XCTAssertFalse(train.contains { $0.step == 1 && $0.values.first?.plugin == "histograms" })
        // The last histogram is of the final weights.
        let last = try XCTUnwrap(train.last { $0.values.first?.plugin == "histograms" })
        for (v, w) in zip(last.values, weights) {
            XCTAssertEqual(v.numbers, histogramBuckets(w.numpy.scalars))
            XCTAssertEqual(stride(from: 2, to: 90, by: 3).map { v.numbers[$0] }.reduce(0, +), Double(w.numpy.count))
        }
    }

    /// The pixels of an uncompressed PNG (stored zlib blocks), checking its chunks' CRCs.
    private func pngPixels(_ png: [UInt8]) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        func u32(_ i: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(png[i + $1]) } }
        XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var i = 8, width = 0, height = 0, zlib: [UInt8] = []
        while i < png.count {
            let n = u32(i), type = String(decoding: png[i + 4..<i + 8], as: UTF8.self)
            XCTAssertEqual(UInt32(u32(i + 8 + n)), PNG.crc32(Array(png[i + 4..<i + 8 + n])), type)
            if type == "IHDR" { width = u32(i + 8); height = u32(i + 12) }
            if type == "IDAT" { zlib += png[i + 8..<i + 8 + n] }
            i += 12 + n
        }
        var raw: [UInt8] = [], j = 2
        while j < zlib.count - 4 {
            let n = Int(zlib[j + 1]) | Int(zlib[j + 2]) << 8
            raw += zlib[j + 5..<j + 5 + n]
            j += 5 + n
        }
        let rowBytes = raw.count / height
        return (width, height, (0..<height).flatMap { raw[$0 * rowBytes + 1..<($0 + 1) * rowBytes] })
    }

    func testWriteImagesStoresEachWeightAsKerasDraws() throws {
        let (model, _) = try trained(try TensorBoard(logDir: dir, histogramFreq: 1, writeImages: true), epochs: 1)
        let event = try XCTUnwrap(try EventFileReader.readDirectory(dir + "/train").last { $0.values.first?.plugin == "histograms" })
        let images = event.values.filter { $0.plugin == "images" }
        let weights = model.layers.flatMap(\.weights).filter { $0.shape.filter { $0 != 1 }.count > 0 }
        XCTAssertEqual(images.map(\.tag), weights.map { $0.path + "/image" })
        for (v, w) in zip(images, weights) {
            XCTAssertEqual(v.dtype, 7)
            XCTAssertEqual(v.shape, [3])
            let png = try pngPixels(v.stringBytes[2])
            XCTAssertEqual([String(png.width), String(png.height)], Array(v.strings[0..<2]))
            // Keras: a kernel with more rows than columns is drawn transposed, a bias as a column.
            let values = w.numpy.scalars, s = w.shape
            let expected: [Float] = s.count == 2 && s[0] > s[1]
                ? (0..<s[1]).flatMap { c in (0..<s[0]).map { values[$0 * s[1] + c] } } : values
            XCTAssertEqual(png.pixels, expected.map { UInt8(Swift.max(0, Swift.min(255, $0 * 255.5)).rounded(.towardZero)) })
        }
    }

    func testEvaluateWritesValidationFiguresAndANewFilePerRun() throws {
        let tb = try TensorBoard(logDir: dir, writeGraph: false)
        let (model, _) = try trained(tb, epochs: 1)
        try model.evaluate(Tensor([[0.5, 1]]), Tensor([[1]]), verbose: 0, callbacks: [tb])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/validation").sorted()
        XCTAssertEqual(files.count, 2)
        XCTAssertTrue(files.allSatisfy { $0.hasPrefix("events.out.tfevents.") && $0.hasSuffix(".v2") })
        let all = try files.flatMap { try EventFileReader.read(dir + "/validation/" + $0) }
        XCTAssertEqual(all.filter { $0.values.contains { $0.tag == "evaluation_mae_vs_iterations" } }.map(\.step), [4, 4])
        XCTAssertFalse(try EventFileReader.readDirectory(dir + "/train").contains { $0.values.contains { $0.tag == "keras" } })
    }

    func testBuiltFromKerasArguments() throws {
        let tb = try XCTUnwrap(try callback(className: "TensorBoard", arguments: [
            "log_dir": .string(dir), "update_freq": "batch", "profile_batch": "2,4", "histogram_freq": 1,
            "embeddings_metadata": ["emb": "meta.tsv"]]) as? TensorBoard)
        XCTAssertEqual(tb.updateFreq, .batches(1))
        XCTAssertEqual(tb.profileBatch.start, 2)
        XCTAssertEqual(tb.profileBatch.stop, 4)
        XCTAssertEqual(tb.embeddingsMetadata, .byLayer(["emb": "meta.tsv"]))
        XCTAssertEqual((try callback(className: "TensorBoard", arguments: ["update_freq": 50]) as? TensorBoard)?.updateFreq, .batches(50))
        XCTAssertEqual((try callback(className: "TensorBoard", arguments: [:]) as? TensorBoard)?.logDir, "logs")
        for bad: JSON in [["update_freq": "often"], ["update_freq": 0], ["profile_batch": [4, 2]], ["profile_batch": "5"],
                          ["profile_batch": -1], ["histogram_freq": -1], ["log_dirs": "x"]] {
            XCTAssertThrowsError(try callback(className: "TensorBoard", arguments: bad), "\(bad)")
        }
    }

    func testEmbeddingsProjectorConfigAndCheckpoints() throws {
        let model = try Sequential([InputLayer(shape: [3]), Embedding(5, 2), Flatten(), Dense(1)])
        try model.compile(optimizer: "sgd", loss: "mse")
        let x = Tensor([[0, 1, 2], [3, 4, 0]]), y = Tensor([[1], [0]])
        let name = try XCTUnwrap(model.layers.first { $0 is Embedding }).name
        try model.fit(x, y, epochs: 2, verbose: 0, callbacks: [
            try TensorBoard(logDir: dir, embeddingsFreq: 1, embeddingsMetadata: .byLayer([name: "meta.tsv"]))])
        let config = try String(contentsOfFile: dir + "/projector_config.pbtxt", encoding: .utf8)
        XCTAssertEqual(config, "embeddings {\n  tensor_name: \"layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE\"\n  metadata_path: \"meta.tsv\"\n}\n")
        for epoch in 0..<2 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/train/keras_embedding.ckpt-\(epoch).weights.h5"))
        }
        XCTAssertThrowsError(try model.fit(x, y, epochs: 1, verbose: 0, callbacks: [
            try TensorBoard(logDir: dir, embeddingsFreq: 1, embeddingsMetadata: .byLayer(["nope": "m.tsv"]))])) { e in
            XCTAssertTrue("\(e)".contains("nope"))
        }
    }
}
