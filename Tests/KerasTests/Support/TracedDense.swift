import XCTest
@testable import Keras

/// A Dense written as ops and traced, as a Python layer whose `call` is
/// `ops.add(ops.matmul(inputs, self.kernel), self.bias)` (then `activation`) traces: the dense
/// peephole folds it into one fused node, so a Sequential of these is a ``DenseStack``.
/// Its forward callback is never to run (the graph replaces it).
func tracedDense(_ units: Int, activation: String? = nil) -> CallbackLayer {
    var f = CallbackLayerFunctions { _, _, _, _ in throw KerasError.invalidState("the forward callback ran") }
    f.build = { shape, add in
        guard let inputs = shape.last ?? nil else { throw KerasError.invalidArgument("tracedDense: unknown input width") }
        try add("kernel", [inputs, units], try deserializeInitializer(.string("glorot_uniform")), true, nil, nil)
        try add("bias", [units], try deserializeInitializer(.string("zeros")), true, nil, nil)
        guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
        let none = JSON.object([])
        var y = try g.addOp("add", [try g.addOp("matmul", [g.addInput(), g.addWeight(0)], attributes: none), g.addWeight(1)],
                            attributes: none)
        if let activation { y = try g.addOp(activation, [y], attributes: none) }
        try g.setOutput(y, training: nil)
    }
    return CallbackLayer(className: "OpsDense", functions: f)
}
