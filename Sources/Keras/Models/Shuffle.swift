/// How `fit` orders its training rows in each pass over them. Keras: `fit(shuffle=True)`,
/// `shuffle=False` and `shuffle="batch"`; a Boolean literal stands for the first two.
///
/// ```swift
/// try model.fit(x, y, batchSize: 32, shuffle: .batch)   // Keras's shuffle="batch"
/// ```
public enum Shuffle: Sendable, Equatable, ExpressibleByBooleanLiteral {
    /// The rows in their order (Keras's `False`).
    case off
    /// All rows in a new order each pass (Keras's `True`: `np.random.permutation(rows)`).
    case all
    /// The batches in their order, the rows inside each in a new order (Keras's `"batch"`:
    /// `np.random.permutation(size) + start` for each batch-sized chunk).
    case batch

    /// `.all` for true, `.off` for false.
    public init(_ shuffles: Bool) { self = shuffles ? .all : .off }

    public init(booleanLiteral value: Bool) { self.init(value) }
}
