import Foundation
import Keras

/// The library's registration advice names its Swift API (`registerKerasSerializable`, a
/// `CustomObjectScope`); a C caller is told the C calls instead (issue 16: messages speak the
/// caller's language). The Python binding rewrites these C forms into Python's in turn
/// (`_native.in_python_terms`), so the wording here is what that module matches.
enum CAdvice {
    /// The kinds of object the C ABI can register (`keras_register_<kind>`).
    static let registrable: Set<String> = ["layer", "loss", "metric", "activation", "callback"]

    static func call(_ kind: String, _ name: String) -> String {
        "keras_register_\(kind)(\"\(name)\", ...) globally, or between keras_scope_push() and keras_scope_pop()"
    }

    /// `message` with each piece of Swift registration advice said the C way.
    static func inCTerms(_ message: String) -> String {
        var m = message
        let unknown = "register it with registerKerasSerializable(package:name:_:) (then it is saved as 'Package>"
        if let start = m.range(of: unknown),
           let nameEnd = m.range(of: "')", range: start.upperBound..<m.endIndex),
           let kindStart = m.range(of: "\": .", options: .backwards, range: nameEnd.upperBound..<m.endIndex),
           let kindEnd = m.range(of: "(...)]", options: .backwards, range: kindStart.upperBound..<m.endIndex) {
            let name = String(m[start.upperBound..<nameEnd.lowerBound])
            let kind = String(m[kindStart.upperBound..<kindEnd.lowerBound])
            m.replaceSubrange(start.lowerBound..<kindEnd.upperBound, with: registrable.contains(kind)
                ? "register it with " + call(kind, name)
                : "'\(name)' cannot be registered from C: only layers, losses, metrics, activations and callbacks can (keras_register_*)")
        }
        let activation = "register custom ones with registerKerasSerializable(name: \""
        if let start = m.range(of: activation),
           let end = m.range(of: "\", .activation(...)) or a CustomObjectScope", range: start.upperBound..<m.endIndex) {
            let name = String(m[start.upperBound..<end.lowerBound])
            m.replaceSubrange(start.lowerBound..<end.upperBound, with: "register custom ones with " + call("activation", name))
        }
        return m
    }
}
