/// The four parts of ``trainTestSplit(_:_:testSize:trainSize:randomState:shuffle:stratify:)``.
public struct TrainTestSplit {
    public let xTrain: Tensor
    public let xTest: Tensor
    public let yTrain: Target
    public let yTest: Target
    /// The sample indices of each part.
    public let trainIndices: [Int]
    public let testIndices: [Int]
}

/// Splits samples into a random train and test part (default test size 0.25); with `stratify`,
/// each class keeps its share in both parts. Without `shuffle`, the test part is the last samples.
/// scikit-learn: `train_test_split`.
///
/// ```swift
/// let s = try trainTestSplit(x, y, testSize: 0.15, randomState: 42)
/// ```
public func trainTestSplit(_ x: Tensor, _ y: Target, testSize: SplitSize? = nil, trainSize: SplitSize? = nil,
                           randomState: Int? = nil, shuffle: Bool = true, stratify: Target? = nil) throws -> TrainTestSplit {
    guard x.rank >= 1, x.shape[0] == y.count else {
        throw KerasError.invalidArgument("train_test_split: found input variables with inconsistent numbers of samples: [\(x.shape.first ?? 0), \(y.count)]")
    }
    let n = y.count
    let split: Split
    if !shuffle {
        guard stratify == nil else {
            throw KerasError.invalidArgument("train_test_split: stratified train/test split is not implemented for shuffle=False")
        }
        let (nTrain, nTest) = try shuffleSplitSizes(n, test: testSize, train: trainSize, defaultTest: 0.25, owner: "train_test_split")
        split = Split(train: Array(0..<nTrain), test: Array(nTrain..<(nTrain + nTest)))
    } else if let stratify {
        let (nTrain, nTest) = try shuffleSplitSizes(n, test: testSize, train: trainSize, defaultTest: 0.25, owner: "train_test_split")
        split = try StratifiedShuffleSplit(nSplits: 1, testSize: .count(nTest), trainSize: .count(nTrain), randomState: randomState)
            .split(n, y: stratify)[0]
    } else {
        let (nTrain, nTest) = try shuffleSplitSizes(n, test: testSize, train: trainSize, defaultTest: 0.25, owner: "train_test_split")
        split = try ShuffleSplit(nSplits: 1, testSize: .count(nTest), trainSize: .count(nTrain), randomState: randomState).split(n)[0]
    }
    return TrainTestSplit(xTrain: takeRows(x, split.train), xTest: takeRows(x, split.test),
                          yTrain: try y.take(split.train), yTest: try y.take(split.test),
                          trainIndices: split.train, testIndices: split.test)
}
