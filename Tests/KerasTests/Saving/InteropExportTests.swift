import XCTest
@testable import Keras

/// Writes models built and trained here into `$SWIFTKERAS_INTEROP_OUT` (in every format, with
/// inputs and this library's predictions) for Tests/interop/test_load_in_keras.py, which loads
/// them in real Keras. Skipped when the variable is not set (`make test-python` sets it).
final class InteropExportTests: XCTestCase {
    func testWriteModelsForKeras() throws {
        guard let out = ProcessInfo.processInfo.environment["SWIFTKERAS_INTEROP_OUT"] else {
            throw XCTSkip("SWIFTKERAS_INTEROP_OUT is not set")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        setRandomSeed(11)
        let x = Tensor([[0.1, -0.2, 0.3, 0.4], [1, -1, 0.5, 2], [0, 0.3, -0.7, 1], [0.9, 0.1, 0.2, -0.4]])
        let y = Tensor([0, 2, 1, 1] as [Float])

        let seq = try Sequential([InputLayer(shape: [4]), Dense(6, activation: .relu), Dropout(0.1),
                                  Dense(5, activation: .tanh, kernelRegularizer: try L1L2.l2(0.01)), Activation("sigmoid"),
                                  Dense(3, activation: .softmax)], name: "swift_seq")
        try seq.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try seq.fit(x, y, epochs: 3, verbose: 0)
        try export(seq, "swift_seq", [x], out)

        let a = Input(shape: [4], name: "a"), b = Input(shape: [2], name: "b")
        let h = try Dense(3, activation: .elu, name: "h")(a)
        let cat = try Concatenate(name: "cat")([h, b])
        let o1 = try Dense(2, name: "o1")(cat)
        let o2 = try Dense(1, activation: .sigmoid, name: "o2")(h)
        let fn = try Model(inputs: [a, b], outputs: [o1, o2], name: "swift_fn")
        try fn.compile(optimizer: .instance(try SGD(learningRate: 0.05, momentum: 0.9)), losses: ["mse", "binary_crossentropy"])
        let xb = Tensor([[1, 2], [0, -1], [0.5, 0.5], [2, -2]])
        try fn.fit([x, xb], [Tensor(shape: [4, 2], repeating: 0.5), Tensor([[1], [0], [1], [0]])], epochs: 2, verbose: 0)
        try export(fn, "swift_fn", [x, xb], out)

        // The merge layers through their functional forms (issue 14's seed: Dense branches merged).
        let ma = Input(shape: [4], name: "ma"), mb = Input(shape: [2], name: "mb")
        let b1 = try Dense(3, activation: .relu, name: "b1")(ma), b2 = try Dense(3, activation: .tanh, name: "b2")(mb)
        let merged = try concatenate([add([b1, b2]), subtract([b1, b2]), multiply([b1, b2]), average([b1, b2]),
                                      maximum([b1, b2]), minimum([b1, b2]), b1], name: "joined")
        let mergeModel = try Model(inputs: [ma, mb], outputs: try Dense(1, name: "mo1")(merged), name: "swift_merge")
        try mergeModel.compile(optimizer: "adam", loss: "mse")
        try mergeModel.fit([x, xb], [Tensor([[1], [0], [1], [0]])], epochs: 2, verbose: 0)
        try export(mergeModel, "swift_merge", [x, xb], out)

        let bn = try Sequential([InputLayer(shape: [4]), Dense(5, name: "bd"), BatchNormalization(momentum: 0.9, name: "bn"),
                                 Activation("relu"), Dense(1, activation: .sigmoid, name: "bo")], name: "swift_bn")
        try bn.compile(optimizer: "adam", loss: "binary_crossentropy")
        try bn.fit(x, Tensor([[1], [0], [1], [0]]), epochs: 3, verbose: 0)
        try export(bn, "swift_bn", [x], out)

        // Issue 14's normalization layers, AlphaDropout, Dot and dot(normalize=True).
        let na = Input(shape: [4], name: "na"), nb = Input(shape: [4], name: "nb")
        let xn = Tensor([[1, 2, 0, -1], [0, -1, 0.5, 1], [0.5, 0.5, -0.3, 2], [2, -2, 1, 0]])
        let n1 = try RMSNormalization(name: "rms")(LayerNormalization(name: "ln")(Dense(8, name: "nd1")(na)))
        let n2 = try AlphaDropout(0.1, seed: 3, name: "alpha")(UnitNormalization(name: "unit")(
            GroupNormalization(groups: 4, name: "gn")(Dense(8, activation: .selu, name: "nd2")(nb))))
        let dots = try concatenate([Dot(axes: 1, name: "dot")([n1, n2]), dot([n1, n2], axes: -1, normalize: true, name: "cosine"), n1])
        let norm = try Model(inputs: [na, nb], outputs: try Dense(1, name: "no")(dots), name: "swift_norm")
        try norm.compile(optimizer: "adam", loss: "mean_squared_error")
        try norm.fit([x, xn], [Tensor([[1], [0], [1], [0]])], epochs: 2, verbose: 0)
        try export(norm, "swift_norm", [x, xn], out)

        // A layer with two outputs (Halves, registered in Keras by the test under the same name),
        // one used by a Dense and one a model output: tensor indices in the config.
        Halves.register()
        let mi = Input(shape: [4], name: "mi")
        let halves = try Halves(name: "halves").callMultiple(try Dense(6, activation: .tanh, name: "mh")(mi))
        let multi = try Model(inputs: mi, outputs: [try Dense(2, name: "mo")(halves[0]), halves[1]], name: "swift_multi")
        try multi.compile(optimizer: "adam", losses: ["mse", "mse"])
        try multi.fit([x], [Tensor(shape: [4, 2], repeating: 0.5), Tensor(shape: [4, 3], repeating: 0.1)], epochs: 2, verbose: 0)
        try export(multi, "swift_multi", [x], out)
    }

    private func export(_ m: Model, _ name: String, _ inputs: [Tensor], _ dir: String) throws {
        try m.save("\(dir)/\(name).keras")
        try m.save("\(dir)/\(name).h5")
        try m.saveWeights("\(dir)/\(name).weights.h5")
        try m.save("\(dir)/\(name).json")
        let preds = try m.predict(inputs)
        func nested(_ t: Tensor) -> JSON {
            let cols = t.shape.last ?? 1
            return .array((0..<(t.count / Swift.max(cols, 1))).map { r in .array((0..<cols).map { .double(Double(t.data[r * cols + $0])) }) })
        }
        let info: JSON = ["inputs": .array(inputs.map(nested)), "outputs": .array(preds.map(nested)),
                          "iterations": .int(m.optimizer?.iterations ?? 0)]
        try Data(info.description.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(name).expected.json"))
    }
}
