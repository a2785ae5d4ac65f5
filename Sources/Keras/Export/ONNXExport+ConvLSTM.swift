/// ConvLSTM1D, ConvLSTM2D and ConvLSTM3D as ONNX operators, the time steps unrolled: per step one
/// `Conv` of the step's input and (after the first, whose states are zero) one `Conv` of the
/// hidden state, the gates as Keras's `ConvLSTMCell` computes them. Unrolled rather than an ONNX
/// `Loop` or `Scan`: those take a subgraph, which would run the same operators step by step, and
/// this writer writes no subgraphs; the cost is that the number of time steps must be known at
/// export (a model of frames has it in its `Input` shape) and the graph grows with it.
extension ONNXLayerConverter {
    func convLSTM(_ l: ConvLSTM, inputCount: Int, x: String, shape: [Int?]) throws -> [String] {
        let s = l.name, r = type(of: l).spatialRank, cell = l.cell
        guard !l.stateful else { throw unsupported(l, "stateful=True keeps states between calls, which an ONNX graph does not") }
        guard inputCount == 1 else { throw unsupported(l, "initial states given as inputs are not exported") }
        guard shape.count == r + 3 else { throw unsupported(l, "an input of shape \(formatShape(shape))") }
        guard let steps = shape[1], steps > 0 else {
            throw unsupported(l, "its steps are unrolled, which needs a known number of time steps, got an input of shape \(formatShape(shape))")
        }
        guard let kernel = cell.kernel?.storedValue, let recurrentKernel = cell.recurrentKernel?.storedValue,
              kernel.rank == r + 2, recurrentKernel.rank == r + 2 else { throw unsupported(l, "it is not built") }
        // (The gates are computed channels-first, ONNX's Conv layout: an activation along an axis would see the wrong one.)
        for f in [cell.activationFunction, cell.recurrentActivationFunction] where f.arguments["axis"] != nil || ["softmax", "log_softmax", "sparsemax", "glu"].contains(f.name) {
            throw unsupported(l, "its activation '\(f.name)' works along an axis, which the exported cell does not keep")
        }
        let last = l.dataFormat == .channelsLast
        // (batch, time, channels, spatial...): each step channels-first.
        let frames = last ? graph.transpose(x, [0, 1, r + 2] + Array(2..<(r + 2)), scope: s) : x
        let spatial = last ? Array(shape[2..<(r + 2)]) : Array(shape[3...])
        let inputPads = try pads(l.padding, spatial: spatial, kernel: l.kernelSize, strides: l.strides, dilation: l.dilationRate, layer: l)
        // (A "same" convolution of stride 1 pads k - 1 positions whatever the size: size 1 stands for any.)
        let ones = Array(repeating: 1, count: r)
        let statePads = try pads(.same, spatial: ones.map { Optional($0) }, kernel: l.kernelSize, strides: ones, dilation: ones, layer: l)
        let w = graph.constant("\(s)/kernel", try onnxKernel(kernel))
        let u = graph.constant("\(s)/recurrent_kernel", try onnxKernel(recurrentKernel))
        let bias = cell.bias.map { graph.constant("\(s)/bias", $0.storedValue) }
        let split = graph.int64s("\(s)/split", Array(repeating: l.filters, count: 4))
        let inputAttributes: [(String, ONNXAttributeValue)] = [
            ("kernel_shape", .ints(l.kernelSize)), ("strides", .ints(l.strides)), ("dilations", .ints(l.dilationRate)),
            ("pads", .ints(inputPads)),
        ]
        let stateAttributes: [(String, ONNXAttributeValue)] = [("kernel_shape", .ints(l.kernelSize)), ("pads", .ints(statePads))]
        func gate(_ v: String, _ f: ActivationFunction) throws -> String { try activation(f, v, layer: l) }
        var h: String?, c: String?, outputs: [String] = []
        for t in 0..<steps {
            let index = l.goBackwards ? steps - 1 - t : t
            let frame = graph.op1("Gather", [frames, graph.int64s("\(s)/step", [index], shape: [])], scope: s, [("axis", .int(1))])
            var z = graph.op1("Conv", [frame, w] + (bias.map { [$0] } ?? []), scope: s, inputAttributes)
            if let h { z = graph.op1("Add", [z, graph.op1("Conv", [h, u], scope: s, stateAttributes)], scope: s) }
            // Keras's gate order: i, f, c, o.
            let gates = graph.op("Split", [z, split], scope: s, outputs: 4, [("axis", .int(1))])
            let i = try gate(gates[0], cell.recurrentActivationFunction), o = try gate(gates[3], cell.recurrentActivationFunction)
            let candidate = graph.op1("Mul", [i, try gate(gates[2], cell.activationFunction)], scope: s)
            let cNext = try c.map { previous in
                graph.op1("Add", [graph.op1("Mul", [try gate(gates[1], cell.recurrentActivationFunction), previous], scope: s), candidate], scope: s)
            } ?? candidate
            let hNext = graph.op1("Mul", [o, try gate(cNext, cell.activationFunction)], scope: s)
            h = hNext
            c = cNext
            outputs.append(hNext)
        }
        guard let hLast = h, let cLast = c else { throw unsupported(l, "it ran no time steps") }
        func restored(_ v: String) -> String { last ? channelsLast(v, rank: r + 2, scope: s) : v }
        // (With go_backwards the sequence comes in the order the steps were read, as in Keras.)
        let output = l.returnSequences
            ? graph.op1("Concat", outputs.map { graph.unsqueeze(restored($0), axes: [1], scope: s) }, scope: s, [("axis", .int(1))])
            : restored(hLast)
        return l.returnState ? [output, restored(hLast), restored(cLast)] : [output]
    }
}
