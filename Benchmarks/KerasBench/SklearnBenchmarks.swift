import KerasDatasets
import KerasSklearn

/// Workloads for `make bench`, measured against SciKeras + scikit-learn.
public enum SklearnBenchmarks {
    /// The builder of the iris benchmark: one ReLU hidden layer of `model__hidden` units (the
    /// softmax output layer is added by the classifier).
    public static let irisBuilder: ModelBuilder = { p, _ in
        try Sequential([Dense(try p.int("hidden", default: 8), activation: .relu)])
    }

    /// Grid search on standardized iris: grid `{model__hidden: [8, 16], epochs: [50, 100],
    /// optimizer: [adam, sgd]}`, stratified 3-fold, batch size 16, accuracy, refit, random state 0.
    /// Returns the wall time of `fit` (search and refit) and the best mean accuracy.
    public static func irisGridSearch(nJobs: Int) throws -> (seconds: Double, bestScore: Double) {
        let (seconds, search) = try irisGridSearchRun(nJobs: nJobs)
        return (seconds, search.bestScore ?? .nan)
    }

    /// ``irisGridSearch(nJobs:)``'s search itself, fitted, with the wall time of `fit` (for its
    /// `schedule`).
    public static func irisGridSearchRun(nJobs: Int) throws -> (seconds: Double, search: GridSearchCV) {
        let iris = Datasets.iris()
        let x = try StandardScaler().fitTransform(iris.x)
        let clf = KerasClassifier(model: irisBuilder, params: ["batch_size": 16, "verbose": 0])
        let search = GridSearchCV(clf, ["model__hidden": [8, 16], "epochs": [50, 100], "optimizer": ["adam", "sgd"]],
                                  scoring: "accuracy", nJobs: nJobs, cv: .splitter(StratifiedKFold(nSplits: 3)),
                                  randomState: 0)
        let start = monotonicSeconds()
        try search.fit(x, .values(iris.y))
        return (monotonicSeconds() - start, search)
    }
}
