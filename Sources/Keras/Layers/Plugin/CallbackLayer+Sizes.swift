/// The traces of a call that reads sizes its input shapes leave unknown (Python's `x.shape[1]`
/// of a None axis, `range(x.shape[1])`, `ops.ones((x.shape[0], 4))`): Keras 3 on JAX traces
/// `call` under `jax.jit` with each run's shapes, so such a call is traced with every size
/// known, once per run shape and kept, on the layer's one set of weights. Its output shapes
/// come from two such traces, every unknown size 83 in one and 89 in the other (Keras 3.15's
/// `compute_output_spec` reads them all as one jax symbolic size; earlier Keras 3 filled them
/// with 83 and 89), a size that differs between the two being unknown. A call that never reads such a
/// size keeps its one trace for any size (``OpGraph/readsSizes``).
struct SizedTraces {
    /// The input shapes the layer was built for (its batch as declared, if at all).
    let shapes: [[Int?]]
    /// Output shapes found for input shapes, in order of asking.
    var outputShapes: [(inputs: [[Int?]], outputs: [[Int?]])] = []
    /// The traces for run shapes, in order of first run.
    var traces: [(shapes: [[Int]], graph: OpGraph, withoutMasks: OpGraph?)] = []

    /// The sizes of the unknown ones in the two traces that find a call's output shapes.
    static let probeSizes = [83, 89]
}

extension CallbackLayer {
    /// Builds a call that read sizes unknown when traced (its trace for `shapes` ended
    /// unfinished): traced for Keras's two probe sizes, the first trace being the layer's graph
    /// (its sublayers and seed generators the layer's), both kept for runs of those shapes.
    func traceForSizes(_ shapes: [[Int?]]) throws {
        sizedTraces = SizedTraces(shapes: shapes)
        do {
            _ = try sizedOutputShapes(for: shapes)
        } catch {
            sizedTraces = nil
            throw error
        }
    }

    /// The output shapes of the call for inputs of `shapes` (the batch's size ignored): the
    /// shapes of its traces for the two probe sizes, nil where they differ.
    func sizedOutputShapes(for given: [[Int?]]) throws -> [[Int?]] {
        let shapes = given.map { $0.isEmpty ? $0 : [nil] + $0.dropFirst() }
        guard var sized = sizedTraces else { throw KerasError.invalidState("\(pluginClassName) '\(name)': its call is not traced per run shape") }
        if let found = sized.outputShapes.first(where: { $0.inputs == shapes }) { return found.outputs }
        var traced: [OpGraph] = []
        for size in SizedTraces.probeSizes {
            let known = shapes.map { $0.map { $0 ?? size } }
            let t = try sizedGraph(for: known)
            if graph == nil {   // the layer's own: its sublayers are those of every later trace
                graph = t.graph
                graphWithoutMasks = t.withoutMasks
            }
            traced.append(t.graph)
        }
        let a = traced[0].outputShapes, b = traced[1].outputShapes
        guard a.count == b.count, zip(a, b).allSatisfy({ $0.count == $1.count }) else {
            throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': its call returns outputs of shapes \(a.map { formatShape($0) }) for inputs of shape \(shapes.map { formatShape($0) }) with their unknown sizes \(SizedTraces.probeSizes[0]), and \(b.map { formatShape($0) }) with them \(SizedTraces.probeSizes[1]): not of the same ranks")
        }
        let outputs = zip(a, b).map { zip($0, $1).map { $0 == $1 ? $0 : nil } }
        sized = sizedTraces ?? sized
        sized.outputShapes.append((shapes, outputs))
        sizedTraces = sized
        return outputs
    }

    /// The call's trace for inputs of `shapes`, made at the first run of that shape and kept.
    func sizedGraph(for shapes: [[Int]]) throws -> (graph: OpGraph, withoutMasks: OpGraph?) {
        guard var sized = sizedTraces else { throw KerasError.invalidState("\(pluginClassName) '\(name)': its call is not traced per run shape") }
        if let found = sized.traces.first(where: { $0.shapes == shapes }) { return (found.graph, found.withoutMasks) }
        guard shapes.count == sized.shapes.count,
              zip(shapes, sized.shapes).allSatisfy({ given, built in
                  given.count == built.count && zip(given.dropFirst(), built.dropFirst()).allSatisfy { $1 == nil || $0 == $1 } }) else {
            throw KerasError.shapeMismatch("\(pluginClassName) '\(name)': called on inputs of shape \(shapes.map { formatShape($0.map { Optional($0) }) }.joined(separator: ", ")), but it was built for \(sized.shapes.map { formatShape($0) }.joined(separator: ", "))")
        }
        let t = try traceAgain(for: shapes.map { $0.map { Optional($0) } }, knownSizes: true)
        sized = sizedTraces ?? sized
        sized.traces.append((shapes, t.graph, t.withoutMasks))
        sizedTraces = sized
        return t
    }
}
