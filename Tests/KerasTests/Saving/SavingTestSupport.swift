import XCTest
@testable import Keras

/// A custom layer `y = x * w`, the Swift twin of `Scale` in scripts/make_saving_fixtures.py.
final class Scale: Layer, @unchecked Sendable {
    var w: Variable?

    override func build(_ inputShape: [Int?]) throws {
        guard let last = inputShape.last, let n = last else { throw KerasError.shapeMismatch("Scale needs a known last dimension") }
        w = addWeight(name: "w", shape: [n], initializer: Ones())
    }

    override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let w else { throw KerasError.invalidState("Scale is not built") }
        return try inputs * w.value
    }

    static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = Scale(name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

/// Files written by real Keras (scripts/make_saving_fixtures.py).
enum SavingFixtures {
    static func path(_ name: String) throws -> String {
        let base = try XCTUnwrap(Bundle.module.resourceURL)
        return base.appendingPathComponent("Fixtures/saving/\(name)").path
    }

    /// Inputs and Keras's predictions for a fixture model.
    static func expected(_ name: String) throws -> (inputs: [Tensor], outputs: [Tensor]) {
        let text = try String(contentsOfFile: try path(name + ".expected.json"), encoding: .utf8)
        let json = try JSONParser.parse(text)
        func tensors(_ key: String) throws -> [Tensor] {
            try XCTUnwrap(json[key]?.arrayValue).map { try nested($0) }
        }
        return (try tensors("inputs"), try tensors("outputs"))
    }

    /// A tensor from nested JSON lists.
    static func nested(_ j: JSON) throws -> Tensor {
        var shape: [Int] = []
        var level = j
        while let a = level.arrayValue { shape.append(a.count); guard let f = a.first else { break }; level = f }
        var values: [Float] = []
        func walk(_ v: JSON) {
            if let a = v.arrayValue { a.forEach(walk) } else { values.append(Float(v.doubleValue ?? .nan)) }
        }
        walk(j)
        return try Tensor(shape: shape, scalars: values)
    }

    static func makeTempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "saving-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
