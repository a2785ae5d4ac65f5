import Foundation
import XCTest
@testable import KerasSklearn

/// Reads a JSON fixture written by scripts/make_sklearn_fixtures.py (real scikit-learn).
func sklearnFixture(_ name: String) throws -> [String: Any] {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
        throw KerasError.io("fixture \(name).json not found")
    }
    let data = try Data(contentsOf: url)
    guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw KerasError.io("fixture \(name).json is not an object")
    }
    return obj
}

func ints(_ any: Any?) -> [Int] { (any as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue } }
func doubles(_ any: Any?) -> [Double] { (any as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }
func double(_ any: Any?) -> Double { (any as? NSNumber)?.doubleValue ?? .nan }
func matrix(_ any: Any?) -> Tensor {
    let rows = (any as? [Any] ?? []).map { doubles($0).map(Float.init) }
    return Tensor(rows)
}

/// Labels from a JSON array of numbers or strings.
func target(_ any: Any?) -> Target {
    let items = any as? [Any] ?? []
    if let s = items as? [String] { return .labels(s) }
    return .values(Tensor(doubles(items).map(Float.init)))
}

/// True when JSON held the number with a fraction or exponent (0.25, 1.0), false for integers.
func isFloatNumber(_ n: NSNumber) -> Bool {
    let t = String(cString: n.objCType)
    return t == "d" || t == "f"
}
