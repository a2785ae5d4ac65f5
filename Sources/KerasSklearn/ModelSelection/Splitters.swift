#if canImport(Glibc)
import Glibc
#endif

/// One train/test split: sample indices.
public struct Split: Equatable, Sendable {
    public let train: [Int]
    public let test: [Int]
    public init(train: [Int], test: [Int]) { self.train = train; self.test = test }
}

/// Divides samples into train/test splits. scikit-learn's cross-validation splitters.
public protocol CrossValidator {
    /// The number of splits `split` gives.
    var nSplits: Int { get }
    /// Splits `n` samples; stratified splitters read the class labels in `y`.
    func split(_ n: Int, y: Target?) throws -> [Split]
}

/// A generator for a splitter: seeded from `randomState`, or from the calling thread's generator.
func splitterGenerator(_ randomState: Int?) -> RandomGenerator {
    RandomGenerator(seed: randomState.map { UInt64(bitPattern: Int64($0)) } ?? RandomGenerator.current.nextSeed())
}

/// Consecutive folds (shuffled first when `shuffle`); the first `n % nSplits` folds hold one
/// sample more. Unshuffled folds equal scikit-learn's. scikit-learn: `KFold`.
public struct KFold: CrossValidator, Sendable {
    public let nSplits: Int
    public let shuffle: Bool
    public let randomState: Int?

    public init(nSplits: Int = 5, shuffle: Bool = false, randomState: Int? = nil) {
        self.nSplits = nSplits
        self.shuffle = shuffle
        self.randomState = randomState
    }

    public func split(_ n: Int, y: Target? = nil) throws -> [Split] {
        guard nSplits >= 2 else {
            throw KerasError.invalidArgument("KFold(n_splits: \(nSplits)): k-fold cross-validation requires at least one train/test split by setting n_splits=2 or more")
        }
        guard nSplits <= n else {
            throw KerasError.invalidArgument("KFold(n_splits: \(nSplits)): cannot have number of splits n_splits=\(nSplits) greater than the number of samples: n_samples=\(n)")
        }
        let order = shuffle ? splitterGenerator(randomState).permutation(n) : Array(0..<n)
        var out: [Split] = []
        var start = 0
        for f in 0..<nSplits {
            let size = n / nSplits + (f < n % nSplits ? 1 : 0)
            let test = Array(order[start..<start + size])
            let inTest = Set(test)
            out.append(Split(train: (0..<n).filter { !inTest.contains($0) }, test: test.sorted()))
            start += size
        }
        return out
    }
}

/// Folds that keep each class's share, assigned as scikit-learn does: classes numbered by first
/// appearance, samples of each class dealt to folds in turn from the sorted labels. Unshuffled
/// folds equal scikit-learn's. scikit-learn: `StratifiedKFold`.
public struct StratifiedKFold: CrossValidator, Sendable {
    public let nSplits: Int
    public let shuffle: Bool
    public let randomState: Int?

    public init(nSplits: Int = 5, shuffle: Bool = false, randomState: Int? = nil) {
        self.nSplits = nSplits
        self.shuffle = shuffle
        self.randomState = randomState
    }

    public func split(_ n: Int, y: Target?) throws -> [Split] {
        guard nSplits >= 2 else {
            throw KerasError.invalidArgument("StratifiedKFold(n_splits: \(nSplits)): requires n_splits=2 or more")
        }
        guard let y else { throw KerasError.invalidArgument("StratifiedKFold.split: the class labels y are required") }
        guard y.count == n else { throw KerasError.invalidArgument("StratifiedKFold.split: y has \(y.count) labels for \(n) samples") }
        guard nSplits <= n else {
            throw KerasError.invalidArgument("StratifiedKFold(n_splits: \(nSplits)): cannot have number of splits n_splits=\(nSplits) greater than the number of samples: n_samples=\(n)")
        }
        let encoded = try firstAppearanceCodes(y, owner: "StratifiedKFold")
        let k = (encoded.max() ?? -1) + 1
        var counts = Array(repeating: 0, count: k)
        for c in encoded { counts[c] += 1 }
        if counts.allSatisfy({ nSplits > $0 }) {
            throw KerasError.invalidArgument("StratifiedKFold(n_splits: \(nSplits)): n_splits=\(nSplits) cannot be greater than the number of members in each class")
        }
        let sorted = encoded.sorted()
        // allocation[fold][class]: how many samples of each class the fold's test set gets.
        var allocation = Array(repeating: Array(repeating: 0, count: k), count: nSplits)
        for (i, c) in sorted.enumerated() { allocation[i % nSplits][c] += 1 }
        let rng = shuffle ? splitterGenerator(randomState) : nil
        var testFold = Array(repeating: 0, count: n)
        for c in 0..<k {
            var folds: [Int] = []
            for f in 0..<nSplits { folds.append(contentsOf: repeatElement(f, count: allocation[f][c])) }
            if let rng { folds = rng.permutation(folds.count).map { folds[$0] } }
            var next = 0
            for i in 0..<n where encoded[i] == c { testFold[i] = folds[next]; next += 1 }
        }
        return (0..<nSplits).map { f in
            Split(train: (0..<n).filter { testFold[$0] != f }, test: (0..<n).filter { testFold[$0] == f })
        }
    }
}

/// Class codes numbered by first appearance in `y` (scikit-learn's StratifiedKFold encoding).
func firstAppearanceCodes(_ y: Target, owner: String) throws -> [Int] {
    let keys: [String]
    if y.width == 1 {
        keys = y.labelKeys
    } else if let t = y.tensor {
        // Multi-column targets (one-hot rows) stratify by the row as a whole, as scikit-learn
        // does for one-hot after argmax.
        keys = argmaxRows(t).map(String.init)
    } else {
        throw KerasError.invalidArgument("\(owner): cannot stratify this target")
    }
    var code: [String: Int] = [:]
    return keys.map { k in
        if let c = code[k] { return c }
        code[k] = code.count
        return code.count - 1
    }
}

/// The size of a train or test set: a fraction of the samples, or a count.
public enum SplitSize: Equatable, Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    case fraction(Double)
    case count(Int)
    public init(floatLiteral value: Double) { self = .fraction(value) }
    public init(integerLiteral value: Int) { self = .count(value) }
}

/// Train and test sizes as scikit-learn's `_validate_shuffle_split` computes them.
func shuffleSplitSizes(_ n: Int, test: SplitSize?, train: SplitSize?, defaultTest: Double, owner: String) throws -> (train: Int, test: Int) {
    let testSize = test ?? (train == nil ? .fraction(defaultTest) : nil)
    func check(_ s: SplitSize, _ name: String) throws {
        switch s {
        case .fraction(let f) where !(f > 0 && f < 1):
            throw KerasError.invalidArgument("\(owner): \(name)=\(f) should be either positive and smaller than the number of samples \(n) or a float in the (0, 1) range")
        case .count(let c) where c <= 0 || c >= n:
            throw KerasError.invalidArgument("\(owner): \(name)=\(c) should be either positive and smaller than the number of samples \(n) or a float in the (0, 1) range")
        default: break
        }
    }
    if let testSize { try check(testSize, "test_size") }
    if let train { try check(train, "train_size") }
    var nTest: Int, nTrain: Int
    switch testSize {
    case .fraction(let f): nTest = Int((f * Double(n)).rounded(.up))
    case .count(let c): nTest = c
    case nil: nTest = 0
    }
    switch train {
    case .fraction(let f): nTrain = Int((f * Double(n)).rounded(.down))
    case .count(let c): nTrain = c
    case nil: nTrain = n - nTest
    }
    if testSize == nil { nTest = n - nTrain }
    guard nTrain + nTest <= n else {
        throw KerasError.invalidArgument("\(owner): the sum of train_size and test_size = \(nTrain + nTest), should be smaller than the number of samples \(n). Reduce test_size and/or train_size.")
    }
    guard nTrain > 0 else {
        throw KerasError.invalidArgument("\(owner): with n_samples=\(n), test_size=\(nTest) and train_size=\(nTrain), the resulting train set will be empty. Adjust any of the aforementioned parameters.")
    }
    return (nTrain, nTest)
}

/// Random train/test splits, drawn independently. scikit-learn: `ShuffleSplit` (default
/// `test_size` 0.1).
public struct ShuffleSplit: CrossValidator, Sendable {
    public let nSplits: Int
    public let testSize: SplitSize?
    public let trainSize: SplitSize?
    public let randomState: Int?

    public init(nSplits: Int = 10, testSize: SplitSize? = nil, trainSize: SplitSize? = nil, randomState: Int? = nil) {
        self.nSplits = nSplits
        self.testSize = testSize
        self.trainSize = trainSize
        self.randomState = randomState
    }

    public func split(_ n: Int, y: Target? = nil) throws -> [Split] {
        guard nSplits >= 1 else { throw KerasError.invalidArgument("ShuffleSplit(n_splits: \(nSplits)): n_splits must be at least 1") }
        let (nTrain, nTest) = try shuffleSplitSizes(n, test: testSize, train: trainSize, defaultTest: 0.1, owner: "ShuffleSplit")
        let rng = splitterGenerator(randomState)
        return (0..<nSplits).map { _ in
            let p = rng.permutation(n)
            return Split(train: Array(p[nTest..<(nTest + nTrain)]), test: Array(p[0..<nTest]))
        }
    }
}

/// Random splits that keep each class's share (per-class counts by scikit-learn's
/// `_approximate_mode`). scikit-learn: `StratifiedShuffleSplit`.
public struct StratifiedShuffleSplit: CrossValidator, Sendable {
    public let nSplits: Int
    public let testSize: SplitSize?
    public let trainSize: SplitSize?
    public let randomState: Int?

    public init(nSplits: Int = 10, testSize: SplitSize? = nil, trainSize: SplitSize? = nil, randomState: Int? = nil) {
        self.nSplits = nSplits
        self.testSize = testSize
        self.trainSize = trainSize
        self.randomState = randomState
    }

    public func split(_ n: Int, y: Target?) throws -> [Split] {
        guard let y, y.count == n else {
            throw KerasError.invalidArgument("StratifiedShuffleSplit.split: class labels for all \(n) samples are required")
        }
        let (nTrain, nTest) = try shuffleSplitSizes(n, test: testSize, train: trainSize, defaultTest: 0.1, owner: "StratifiedShuffleSplit")
        let codes = try firstAppearanceCodes(y, owner: "StratifiedShuffleSplit")
        let k = (codes.max() ?? -1) + 1
        var members = Array(repeating: [Int](), count: k)
        for (i, c) in codes.enumerated() { members[c].append(i) }
        let counts = members.map(\.count)
        guard counts.min() ?? 0 >= 2 else {
            throw KerasError.invalidArgument("StratifiedShuffleSplit: the least populated class in y has only 1 member, which is too few. The minimum number of groups for any class cannot be less than 2.")
        }
        guard nTrain >= k, nTest >= k else {
            throw KerasError.invalidArgument("StratifiedShuffleSplit: the train_size = \(nTrain) and test_size = \(nTest) should be greater or equal to the number of classes = \(k)")
        }
        let rng = splitterGenerator(randomState)
        return (0..<nSplits).map { _ in
            let trainCounts = approximateMode(counts, nTrain, rng)
            let testCounts = approximateMode(zip(counts, trainCounts).map { $0 - $1 }, nTest, rng)
            var train: [Int] = [], test: [Int] = []
            for c in 0..<k {
                let p = rng.permutation(counts[c]).map { members[c][$0] }
                train.append(contentsOf: p[0..<trainCounts[c]])
                test.append(contentsOf: p[trainCounts[c]..<(trainCounts[c] + testCounts[c])])
            }
            return Split(train: rng.permutation(train.count).map { train[$0] }, test: rng.permutation(test.count).map { test[$0] })
        }
    }
}

/// scikit-learn's `_approximate_mode`: per-class draws proportional to `counts`, summing to
/// `draws`, remainders broken toward the largest fractions (ties at random).
func approximateMode(_ counts: [Int], _ draws: Int, _ rng: RandomGenerator) -> [Int] {
    let total = Double(counts.reduce(0, +))
    let continuous = counts.map { Double($0) / total * Double(draws) }
    var floored = continuous.map { $0.rounded(.down) }
    var need = draws - Int(floored.reduce(0, +))
    if need > 0 {
        let remainder = zip(continuous, floored).map { $0 - $1 }
        for value in Set(remainder).sorted(by: >) {
            let inds = remainder.indices.filter { remainder[$0] == value }
            let take = min(inds.count, need)
            for j in rng.permutation(inds.count).prefix(take) { floored[inds[j]] += 1 }
            need -= take
            if need == 0 { break }
        }
    }
    return floored.map { Int($0) }
}

/// The default splitter for an integer `cv`: stratified for classifiers with single-label
/// targets, plain k-fold otherwise (scikit-learn's `check_cv`).
func defaultSplitter(_ folds: Int, classifier: Bool, y: Target) -> CrossValidator {
    if classifier {
        let type = TargetType.of(y)
        if type == .binary || type == .multiclass { return StratifiedKFold(nSplits: folds) }
    }
    return KFold(nSplits: folds)
}
