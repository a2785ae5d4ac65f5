/// The kind of target, as scikit-learn's `type_of_target` names it.
public enum TargetType: String, Sendable {
    case binary
    case multiclass
    case continuous
    case continuousMultioutput = "continuous-multioutput"
    case multilabelIndicator = "multilabel-indicator"
    case multiclassMultioutput = "multiclass-multioutput"
    /// One-hot rows (one 1 per row): treated as multiclass, as SciKeras does.
    case multiclassOnehot = "multiclass-onehot"

    /// scikit-learn's `type_of_target`, plus one-hot detection for classifiers.
    static func of(_ y: Target) -> TargetType {
        switch y {
        case .labels(let l):
            return Set(l).count <= 2 ? .binary : .multiclass
        case .values(let t):
            let width = y.width
            var integral = true, zeroOne = true
            var distinct = Set<Float>()
            for i in 0..<t.count {
                let v = t.data[i]
                if v.rounded() != v { integral = false }
                if v != 0 && v != 1 { zeroOne = false }
                if distinct.count <= 2 { distinct.insert(v) }
            }
            if width == 1 || t.rank == 1 {
                if !integral { return .continuous }
                return distinct.count <= 2 ? .binary : .multiclass
            }
            if zeroOne {
                let rows = t.shape[0]
                var oneHot = true
                for r in 0..<rows {
                    var s: Float = 0
                    for j in 0..<width { s += t.data[r * width + j] }
                    if s != 1 { oneHot = false; break }
                }
                return oneHot ? .multiclassOnehot : .multilabelIndicator
            }
            return integral ? .multiclassMultioutput : .continuousMultioutput
        }
    }
}
