import Foundation
import Keras

// A model a traced call calls (Keras: a custom layer's `call` calling `self.backbone(x)`, the
// backbone a Sequential, a functional or a loaded model): the model of an existing handle,
// inserted as one nested-model node of the graph being built. It is that very model, not a copy
// made from its config: its variables are the handle's, so training the model holding it moves
// what the handle predicts with, and its `trainable` flags count in both.

/// The boxes of the models keras_layer_builder_model_call inserted while this thread builds a
/// model (keras_model_from_json and friends): the new handle then takes their locks too, as one
/// made with keras_model_from_json_sharing takes its nested models'.
enum AdoptedModels {
    private final class Frames { var stack: [[ModelBox]] = [] }
    private static let key = "keras.AdoptedModels"
    /// This thread's frames (Foundation's per-thread dictionary).
    private static var frames: Frames {
        let dict = Thread.current.threadDictionary
        if let f = dict[key] as? Frames { return f }
        let f = Frames()
        dict[key] = f
        return f
    }

    /// `body`'s result and the boxes inserted into the model it builds, once each.
    static func collecting<T>(_ body: () throws -> T) rethrows -> (T, [ModelBox]) {
        let f = frames
        f.stack.append([])
        defer { f.stack.removeLast() }
        let result = try body()
        return (result, f.stack.last ?? [])
    }

    /// Notes `box` for the model being built on this thread (none: nothing to note).
    static func note(_ box: ModelBox) {
        let f = frames
        guard var last = f.stack.popLast() else { return }
        if !last.contains(where: { $0 === box }) { last.append(box) }
        f.stack.append(last)
    }
}

/// A call of the model of handle `model` at `attribute` of the traced layer (Keras: `self.inner(x)`
/// in a custom layer's `call`): one node per output of the model, the model itself a sublayer.
@_cdecl("keras_layer_builder_model_call")
public func keras_layer_builder_model_call(_ builder: UnsafeMutableRawPointer?, _ attribute: UnsafePointer<CChar>?, _ order: Int32,
                                           _ index: Int32, _ model: OpaquePointer?, _ nInputs: Int32,
                                           _ inputs: UnsafePointer<Int64>?, _ training: Int32, _ capacity: Int32,
                                           _ outputs: UnsafeMutablePointer<Int64>?,
                                           _ nOutputs: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_layer_builder_model_call") {
        guard let ctx = builderContext(builder) else {
            throw ABIError(.invalidArgument, "the builder is NULL or no longer valid (graph ops are only valid inside build)")
        }
        guard let g = ctx.trace else {
            throw ABIError(.state, "this layer is not being built by a model, so it has no op graph to trace into")
        }
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (the layer's own), 0 or 1, got \(training)") }
        let name = try string(attribute, "attribute")
        guard order >= 0, index >= -1 else { throw ABIError(.invalidArgument, "model '\(name)': order must be >= 0 and index >= -1, got \(order) and \(index)") }
        guard nInputs >= 1 && nInputs <= 1024, let inputs else { throw ABIError(.invalidArgument, "model '\(name)': n_inputs must be 1...1024 with inputs not NULL, got \(nInputs)") }
        guard let outputs, let nOutputs, capacity >= 1 else { throw ABIError(.invalidArgument, "outputs and n_outputs must not be NULL, capacity at least 1") }
        let ids = try (0..<Int(nInputs)).map { k -> Int in
            guard inputs[k] >= 0 && inputs[k] <= Int64(Int32.max) else { throw ABIError(.invalidArgument, "node \(inputs[k]) is not a node of the graph") }
            return Int(inputs[k])
        }
        let box = try modelBox(model)
        let nodes = try box.locked { () throws -> [Int] in
            let held = try g.sublayer(attribute: name, order: Int(order), index: index < 0 ? nil : Int(index)) { box.model }
            guard held === box.model else {
                throw ABIError(.invalidArgument, "attribute '\(name)' of the traced layer already holds \(held.className) '\(held.name)', not model '\(box.model.name)'")
            }
            return try g.addLayerCall(box.model, ids, arguments: OpGraph.LayerCallArguments(), training: training < 0 ? nil : training == 1)
        }
        guard nodes.count <= Int(capacity) else {
            throw ABIError(.invalidArgument, "model '\(box.model.name)': the call gives \(nodes.count) outputs, more than capacity \(capacity)")
        }
        for (k, n) in nodes.enumerated() { outputs[k] = Int64(n) }
        nOutputs.pointee = Int32(nodes.count)
        AdoptedModels.note(box)
    }
}

/// Opens an empty (root) name scope on the calling thread: a model made now (keras_model_from_json
/// while a traced layer builds: Keras's `self.inner = keras.Sequential([keras.Input(...), ...])`
/// in the layer's `__init__`) names its weights from the root (`seq/dense/kernel`), not under the
/// layer being built. *depth is the token for keras_name_scope_close.
@_cdecl("keras_name_scope_open_root")
public func keras_name_scope_open_root(_ depth: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_name_scope_open_root") {
        guard let depth else { throw ABIError(.invalidArgument, "depth must not be NULL") }
        let opened = NameScope.openRoot()
        guard let token = Int32(exactly: opened) else {
            try NameScope.closeRoot(opened)
            throw ABIError(.invalidArgument, "too many root name scopes open on this thread (\(opened))")
        }
        depth.pointee = token
    }
}

/// Closes the root name scope keras_name_scope_open_root gave `depth` for (and any opened after
/// it), restoring the scopes that were open before it on the calling thread.
@_cdecl("keras_name_scope_close")
public func keras_name_scope_close(_ depth: Int32) -> Int32 {
    guarded("keras_name_scope_close") { try NameScope.closeRoot(Int(depth)) }
}
