/// The convolutions of a model's graph that run fused with the max pooling after them, with or
/// without a BatchNormalization between (``BaseConv/fusedLayers(_:)``), found on the graph so
/// that functional models get them as Sequential ones do: a convolution called on one tensor,
/// whose output feeds only the next layer of the run (no other layer, not a model output), and
/// the same for the BatchNormalization's output. The fused op is asked on each call and may
/// still decline (``BaseConv/pooledCall(_:then:)``); the layers then run one by one.
final class PooledConvFusion {
    /// One convolution and the layers that run fused with it.
    struct Run {
        let conv: BaseConv
        /// The layers after the convolution, in order: the BatchNormalization (if any), the pooling.
        let layers: [Layer]
        /// Their graph nodes, in the same order.
        let nodes: [ObjectIdentifier]

        /// Whether `stack[i + 1...]` starts with ``layers`` (Sequential, the convolution at `i`).
        /// Index loops: in a debug build, `zip` and `allSatisfy` allocate per element.
        func follows(_ i: Int, in stack: [Layer]) -> Bool {
            guard i + layers.count < stack.count else { return false }
            var k = 0
            while k < layers.count {
                if stack[i + 1 + k] !== layers[k] { return false }
                k += 1
            }
            return true
        }

        /// The output of the last layer of the run for the convolution's input `x`, or nil when
        /// the fused op declines.
        func call(_ x: Tensor, training: Bool) -> Tensor? {
            guard let pool = layers.last else { return nil }
            if layers.count == 2, let bn = layers[0] as? BatchNormalization {
                return conv.normalizedPooledCall(x, bn, then: pool, training: training)
            }
            return conv.pooledCall(x, then: pool)
        }
    }

    /// The runs by the graph node of their convolution.
    private(set) var byNode: [ObjectIdentifier: Run] = [:]
    /// The runs by their convolution layer (Sequential, where each layer is called once).
    private(set) var byLayer: [ObjectIdentifier: Run] = [:]

    var isEmpty: Bool { byNode.isEmpty }

    init(order: [GraphNode], outputs: [KerasTensor]) {
        var consumers: [ObjectIdentifier: Int] = [:], next: [ObjectIdentifier: GraphNode] = [:]
        var calls: [ObjectIdentifier: Int] = [:]
        for n in order {
            calls[ObjectIdentifier(n.layer), default: 0] += 1
            for t in n.inputs {
                guard let p = t.node else { continue }
                consumers[ObjectIdentifier(p), default: 0] += 1
                next[ObjectIdentifier(p)] = n
            }
        }
        for t in outputs { if let p = t.node { consumers[ObjectIdentifier(p), default: 0] += 1 } }
        // The one node that takes `n`'s single output as its only input, if that is all `n` feeds.
        func soleConsumer(_ n: GraphNode) -> GraphNode? {
            let id = ObjectIdentifier(n)
            guard n.outputShapes.count == 1, consumers[id] == 1, let c = next[id], c.inputs.count == 1,
                  c.inputs[0].node === n, c.inputs[0].tensorIndex == 0 else { return nil }
            return c
        }
        for n in order {
            guard let conv = n.layer as? BaseConv, n.inputs.count == 1, let first = soleConsumer(n) else { continue }
            var chain = [first]
            if first.layer is BatchNormalization, let second = soleConsumer(first) { chain.append(second) }
            let span = conv.fusedLayers(chain.map(\.layer)[...])
            guard span > 0 else { continue }
            let run = Run(conv: conv, layers: chain.prefix(span).map(\.layer), nodes: chain.prefix(span).map(ObjectIdentifier.init))
            byNode[ObjectIdentifier(n)] = run
            if calls[ObjectIdentifier(conv)] == 1 { byLayer[ObjectIdentifier(conv)] = run }
        }
    }
}

extension Model {
    /// The graph's fused convolution runs (``PooledConvFusion``), found once per graph; nil
    /// when there are none (every MLP: one cached check per forward pass).
    func pooledConvRuns() -> PooledConvFusion? {
        let fusion = pooledConvFusion ?? PooledConvFusion(order: executionOrder, outputs: outputs)
        pooledConvFusion = fusion
        return fusion.isEmpty ? nil : fusion
    }
}
