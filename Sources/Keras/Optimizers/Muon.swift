#if canImport(Glibc)
import Glibc
#endif

/// Muon: momentum steps orthogonalised by Newton–Schulz iterations for matrices, AdamW for
/// every other variable (not rank 2, embeddings, or paths matching `excludeLayers`). Keras:
/// `Muon(learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
/// epsilon=1e-7, weight_decay=0.004, ..., exclude_layers=None, exclude_embeddings=True,
/// muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5,
/// nesterov=True, rms_rate=0.2)`.
public final class Muon: Optimizer, @unchecked Sendable {
    public let adamBeta1: Double, adamBeta2: Double, adamWeightDecay: Double?, epsilon: Double
    /// Regular expressions: variables whose path matches one are updated with AdamW.
    public let excludeLayers: [String]
    public let excludeEmbeddings: Bool
    public let muonA: Double, muonB: Double, muonC: Double
    public let adamLearningRateRatio: Double, momentum: Double, nsSteps: Int, nesterov: Bool
    /// Scales the orthogonalised step by `sqrt(max(rows, cols)) * rmsRate`; nil leaves it.
    public let rmsRate: Double?
    private let excludePatterns: [Regex<AnyRegexOutput>]
    /// Scratch for the Newton–Schulz iterations, grown to the largest matrix and then reused.
    private var work: [Float] = []
    private var adamByVariable: [ObjectIdentifier: Bool] = [:]

    public init(learningRate: any LearningRateConvertible = 0.001, adamBeta1: Double = 0.9, adamBeta2: Double = 0.999,
                adamWeightDecay: Double? = 0.004, epsilon: Double = 1e-7, weightDecay: Double? = 0.004,
                options: OptimizerArguments = OptimizerArguments(),
                excludeLayers: [String] = [], excludeEmbeddings: Bool = true, muonA: Double = 3.4445,
                muonB: Double = -4.7750, muonC: Double = 2.0315, adamLearningRateRatio: Double = 1,
                momentum: Double = 0.95, nsSteps: Int = 5, nesterov: Bool = true, rmsRate: Double? = 0.2) throws {
        try checkBeta("Muon", "adam_beta_1", adamBeta1)
        try checkBeta("Muon", "adam_beta_2", adamBeta2)
        try checkNonNegative("Muon", "epsilon", epsilon)
        if let d = adamWeightDecay { try checkNonNegative("Muon", "adam_weight_decay", d) }
        try checkNonNegative("Muon", "adam_lr_ratio", adamLearningRateRatio)
        for (key, value) in [("muon_a", muonA), ("muon_b", muonB), ("muon_c", muonC), ("momentum", momentum),
                             ("rms_rate", rmsRate ?? 0)] where !value.isFinite {
            throw KerasError.invalidArgument("Muon(\(key): \(value)): \(key) must be a finite number")
        }
        guard nsSteps >= 0, nsSteps <= 1000 else {
            throw KerasError.invalidArgument("Muon(ns_steps: \(nsSteps)): ns_steps must be in [0, 1000]")
        }
        excludePatterns = try excludeLayers.map { p in
            do { return try Regex(p) } catch {
                throw KerasError.invalidArgument("Muon(exclude_layers: \(excludeLayers)): '\(p)' is not a valid regular expression")
            }
        }
        self.adamBeta1 = adamBeta1; self.adamBeta2 = adamBeta2; self.adamWeightDecay = adamWeightDecay
        self.epsilon = epsilon; self.excludeLayers = excludeLayers; self.excludeEmbeddings = excludeEmbeddings
        self.muonA = muonA; self.muonB = muonB; self.muonC = muonC
        self.adamLearningRateRatio = adamLearningRateRatio; self.momentum = momentum; self.nsSteps = nsSteps
        self.nesterov = nesterov; self.rmsRate = rmsRate
        try super.init(learningRate: learningRate, options: options.withOwnWeightDecay(weightDecay, "Muon"),
                       defaultName: "muon")
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("Muon", config)
        let (learningRate, given) = try OptimizerArguments.read(&a)
        var options = given
        let weightDecay = a.contains("weight_decay") ? options.weightDecay : 0.004
        options.weightDecay = nil
        let adamWeightDecay = try a.contains("adam_weight_decay") ? a.double("adam_weight_decay") : 0.004
        let rmsRate = try a.contains("rms_rate") ? a.double("rms_rate") : 0.2
        let excludeLayers = try a.strings("exclude_layers") ?? []
        let beta1 = try a.double("adam_beta_1", default: 0.9), beta2 = try a.double("adam_beta_2", default: 0.999)
        let epsilon = try a.double("epsilon", default: 1e-7)
        let embeddings = try a.bool("exclude_embeddings", default: true)
        let muonA = try a.double("muon_a", default: 3.4445), muonB = try a.double("muon_b", default: -4.7750)
        let muonC = try a.double("muon_c", default: 2.0315)
        let ratio = try a.double("adam_lr_ratio", default: 1), momentum = try a.double("momentum", default: 0.95)
        let steps = try a.int("ns_steps") ?? 5, nesterov = try a.bool("nesterov", default: true)
        try a.finish()
        try self.init(learningRate: learningRate ?? 0.001, adamBeta1: beta1, adamBeta2: beta2,
                      adamWeightDecay: adamWeightDecay, epsilon: epsilon, weightDecay: weightDecay, options: options,
                      excludeLayers: excludeLayers, excludeEmbeddings: embeddings,
                      muonA: muonA, muonB: muonB, muonC: muonC, adamLearningRateRatio: ratio, momentum: momentum,
                      nsSteps: steps, nesterov: nesterov, rmsRate: rmsRate)
    }

    /// Keras's `_should_use_adamw`: not a matrix, an embedding, or an excluded path (as
    /// `re.search`); decided once per variable.
    public func usesAdamW(_ variable: Variable) -> Bool {
        if let known = adamByVariable[ObjectIdentifier(variable)] { return known }
        let path = variable.path
        let adam = variable.shape.count != 2 || (excludeEmbeddings && path.lowercased().contains("embedding"))
            || excludePatterns.contains { (try? $0.firstMatch(in: path)) != nil }
        adamByVariable[ObjectIdentifier(variable)] = adam
        return adam
    }

    public override func reset() {
        super.reset()
        adamByVariable.removeAll()
    }

    /// Every variable has a momentum; only those updated with AdamW a velocity.
    public override var slotGroups: [[String]] { [["momentum", "velocity"]] }

    public override func hasSlot(_ index: Int, for variable: Variable) -> Bool { index == 0 || usesAdamW(variable) }

    public override func weightDecayRate(for variable: Variable) -> Double? {
        usesAdamW(variable) ? adamWeightDecay : weightDecay
    }

    public override func updateVariable(_ variable: Variable, _ w: UnsafeMutablePointer<Float>,
                                        gradient g: UnsafePointer<Float>, count n: Int,
                                        slots: UnsafeMutablePointer<Float>, step: Int, learningRate lr: Float) {
        if usesAdamW(variable) {
            adamUpdate(w, g, n, slots, step: step, lr: lr * Float(adamLearningRateRatio), beta1: adamBeta1,
                       beta2: adamBeta2, epsilon: epsilon, amsgrad: false)
            return
        }
        let rows = variable.shape[0], cols = variable.shape[1]
        let m = slots, mu = Float(momentum), decayed = Float(momentum - 1)
        let k = Swift.min(rows, cols), l = Swift.max(rows, cols)
        let needed = 2 * k * l + 2 * k * k
        if work.count < needed { work = [Float](repeating: 0, count: needed) }
        work.withUnsafeMutableBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            // x holds the matrix to orthogonalise as k × l (transposed when rows > cols).
            let x = base, next = base + k * l, a = base + 2 * k * l, b = a + k * k
            for i in 0..<rows {
                for j in 0..<cols {
                    let e = i * cols + j
                    m[e] += g[e] + m[e] * decayed
                    x[rows > cols ? j * rows + i : e] = nesterov ? g[e] + mu * m[e] : m[e]
                }
            }
            newtonSchulz(x, next, a, b, k: k, l: l)
            let scale = lr * (rmsRate.map { Float(Double(l).squareRoot()) * Float($0) } ?? 1)
            for i in 0..<rows {
                for j in 0..<cols { w[i * cols + j] -= x[rows > cols ? j * rows + i : i * cols + j] * scale }
            }
        }
    }

    /// `x ← x / (‖x‖ + 1e-7)`, then `nsSteps` times `A = x xᵀ`, `B = b A + c A A`, `x ← a x + B x`,
    /// for x of shape k × l (k ≤ l), in place; `next`, `a`, `b` are scratch.
    private func newtonSchulz(_ x: UnsafeMutablePointer<Float>, _ next: UnsafeMutablePointer<Float>,
                              _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, k: Int, l: Int) {
        var norm: Float = 0
        for e in 0..<(k * l) { norm += x[e] * x[e] }
        let inv = norm.squareRoot() + 1e-7
        for e in 0..<(k * l) { x[e] /= inv }
        let ca = Float(muonA), cb = Float(muonB), cc = Float(muonC)
        for _ in 0..<nsSteps {
            Kernels.gemm(x, transA: false, x, transB: true, a, m: k, n: k, k: l)
            for e in 0..<(k * k) { b[e] = cb * a[e] }
            Kernels.gemm(a, transA: false, a, transB: false, b, m: k, n: k, k: k, alpha: cc, beta: 1)
            for e in 0..<(k * l) { next[e] = ca * x[e] }
            Kernels.gemm(b, transA: false, x, transB: false, next, m: k, n: l, k: k, beta: 1)
            x.update(from: next, count: k * l)
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("adam_beta_1", .double(adamBeta1)); c.set("adam_beta_2", .double(adamBeta2))
        c.set("epsilon", .double(epsilon)); c.set("exclude_layers", .array(excludeLayers.map { .string($0) }))
        c.set("muon_a", .double(muonA)); c.set("muon_b", .double(muonB)); c.set("muon_c", .double(muonC))
        c.set("adam_lr_ratio", .number(adamLearningRateRatio)); c.set("momentum", .double(momentum))
        c.set("ns_steps", .int(nsSteps)); c.set("nesterov", .bool(nesterov))
        c.set("exclude_embeddings", .bool(excludeEmbeddings)); c.set("adam_weight_decay", .optional(adamWeightDecay))
        c.set("rms_rate", .optional(rmsRate))
        return c
    }
}
