/// One variable's optimizer state: its slots in one buffer, its moving average, its gradient
/// accumulator, and a scratch buffer for averaged or clipped gradients.
final class SlotState {
    let variable: Variable
    let count: Int
    let slots: Tensor
    let average: Tensor?
    /// Keras's `gradient_accumulator` (with `gradientAccumulationSteps`).
    let accumulator: Tensor?
    private(set) var scratch: Tensor?
    /// Whether weight decay applies to this variable, and at which rate.
    let decays: Bool
    let decayRate: Float
    /// The gradient of the step being taken (set by `apply`).
    var gradient: UnsafePointer<Float>

    init(variable: Variable, slotCount: Int, initial: (Int) -> Float, useEMA: Bool, clips: Bool, accumulates: Bool,
         decayRate: Float?) {
        self.variable = variable
        let n = variable.storedValue.count
        count = n
        slots = Tensor(shape: [Swift.max(slotCount * n, 1)], repeating: 0)
        for k in 0..<slotCount {
            let v = initial(k)
            if v != 0 { (slots.data + k * n).update(repeating: v, count: n) }
        }
        average = useEMA ? Tensor(shape: [n], repeating: 0) : nil
        accumulator = accumulates ? Tensor(shape: [n], repeating: 0) : nil
        scratch = clips || accumulates ? Tensor(shape: [n], repeating: 0) : nil
        decays = decayRate != nil
        self.decayRate = decayRate ?? 0
        gradient = UnsafePointer(slots.data)
    }

    /// The scratch buffer, made on first use (global clipping needs it only when it clips).
    func scratchBuffer() -> UnsafeMutablePointer<Float> {
        if let scratch { return scratch.data }
        let t = Tensor(shape: [count], repeating: 0)
        scratch = t
        return t.data
    }
}
