#if canImport(Glibc)
import Glibc
#endif
import Keras

/// Small data sets carried inside the `KerasDatasets` target (not the `Keras` library), for demos,
/// benchmarks, tests and examples.
/// scikit-learn: `load_iris`, `load_digits`; plus a synthetic table shaped like the Otto Group
/// product-classification data that `seeds/004` trains on.
public enum Datasets {
    /// A table of samples and integer class labels.
    public struct Table {
        /// Samples, shape `[n, features]`.
        public let x: Tensor
        /// Class indices as floats, shape `[n]`.
        public let y: Tensor
        /// Class names, index = label.
        public let classNames: [String]
        /// Feature names.
        public let featureNames: [String]

        /// One-hot targets, shape `[n, classes]` (Keras `to_categorical`).
        public var yOneHot: Tensor {
            let n = y.count, k = classNames.count
            let out = Tensor(shape: [n, k])
            for i in 0..<n { out.data[i * k + Int(y.data[i])] = 1 }
            return out
        }
    }

    /// Fisher's iris: 150 flowers, 4 measurements in cm, 3 species, sorted by species as in
    /// scikit-learn.
    public static func iris() -> Table {
        var xs: [Float] = [], ys: [Float] = []
        for line in irisCSV.split(separator: "\n") {
            let cells = line.split(separator: ",")
            guard cells.count == 5 else { continue }
            for c in cells.prefix(4) { xs.append(Float(c) ?? 0) }
            ys.append(Float(cells[4]) ?? 0)
        }
        return Table(x: tensor(xs, ys.count, 4), y: Tensor(ys),
                     classNames: ["setosa", "versicolor", "virginica"],
                     featureNames: ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"])
    }

    /// scikit-learn's digits: 1,797 images of 8×8 pixels with intensities 0...16, labels 0...9.
    public static func digits() -> Table {
        var xs: [Float] = [], ys: [Float] = []
        xs.reserveCapacity(1797 * 64)
        for line in digitsText.split(separator: "\n") {
            let bytes = Array(line.utf8)
            guard bytes.count == 65 else { continue }
            for b in bytes.prefix(64) { xs.append(Float(Int(b) - 97)) }
            ys.append(Float(Int(bytes[64]) - 48))
        }
        return Table(x: tensor(xs, ys.count, 64), y: Tensor(ys),
                     classNames: (0...9).map(String.init),
                     featureNames: (0..<64).map { "pixel_\($0 / 8)_\($0 % 8)" })
    }

    /// A synthetic stand-in for the Otto Group data: `samples` rows of 93 standardized count
    /// features in 9 classes with Otto's class frequencies. Seeded, so runs are comparable.
    public static func ottoLike(samples: Int = 61_878, features: Int = 93, seed: UInt64 = 42) -> Table {
        let classes = 9
        let frequencies: [Double] = [0.031, 0.261, 0.129, 0.044, 0.044, 0.228, 0.046, 0.137, 0.080]
        let g = RandomGenerator(seed: seed)
        // Sparse counts: every feature has a base rate shared by all classes, which each class
        // scales by its own factor, so classes overlap as much as Otto's do.
        var rates = [Float](repeating: 0, count: classes * features)
        for j in 0..<features {
            let base = g.uniform() < 0.5 ? 0.15 * expf(g.normal()) : 0.02
            for c in 0..<classes { rates[c * features + j] = base * expf(0.6 * g.normal()) }
        }
        let x = Tensor(shape: [samples, features])
        let y = Tensor(shape: [samples])
        var cumulative: [Double] = []
        var acc = 0.0
        for f in frequencies { acc += f; cumulative.append(acc) }
        for i in 0..<samples {
            let u = Double(g.uniform()) * acc
            let c = cumulative.firstIndex { u < $0 } ?? classes - 1
            y.data[i] = Float(c)
            for j in 0..<features {
                x.data[i * features + j] = Float(poisson(rates[c * features + j], g))
            }
        }
        standardize(x, rows: samples, cols: features)
        return Table(x: x, y: y, classNames: (1...classes).map { "Class_\($0)" },
                     featureNames: (1...features).map { "feat_\($0)" })
    }

    /// Scales each column to zero mean and unit variance in place (scikit-learn's StandardScaler).
    static func standardize(_ x: Tensor, rows: Int, cols: Int) {
        let p = x.data
        for j in 0..<cols {
            var mean = 0.0, sq = 0.0
            for i in 0..<rows { let v = Double(p[i * cols + j]); mean += v; sq += v * v }
            mean /= Double(rows)
            let std = (Swift.max(sq / Double(rows) - mean * mean, 0)).squareRoot()
            let scale = std > 0 ? 1 / std : 1
            for i in 0..<rows { p[i * cols + j] = Float((Double(p[i * cols + j]) - mean) * scale) }
        }
    }

    static func poisson(_ lambda: Float, _ g: RandomGenerator) -> Int {
        let limit = expf(-lambda)
        var k = 0
        var p: Float = 1
        repeat { k += 1; p *= g.uniform() } while p > limit && k < 1000
        return k - 1
    }

    static func tensor(_ values: [Float], _ rows: Int, _ cols: Int) -> Tensor {
        let t = Tensor(shape: [rows, cols])
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { t.data.update(from: base, count: Swift.min(values.count, rows * cols)) }
        }
        return t
    }
}
