import Foundation
import Keras

/// Per-step cost of every optimizer (on the Otto model's 10,309 weights) and of every loss's value
/// and gradient (batch 128, 9 classes), so that regressions show in `make bench`.
func vocabularyBenchmarks() throws -> [BenchResult] {
    let steps = try TrainingStepCosts.optimizerSteps() + TrainingStepCosts.lossSteps()
    return steps.map { m in
        var note = m.note
        if m.poolMissesPerStep > 0 { note += (note.isEmpty ? "" : "; ") + String(format: "%.2f pool misses/step", m.poolMissesPerStep) }
        return BenchResult(name: m.name, unit: "s", value: m.secondsPerStep, lowerIsBetter: true, note: note)
    }
}
