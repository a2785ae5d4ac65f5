/// One batch of an epoch: the inputs, targets and per-sample weights of `size` samples.
struct DataBatch {
    let step: Int
    let x: [Tensor]
    let y: [Tensor]
    let sampleWeight: Tensor?
    /// The first input with a NaN or infinite value, when the iterator checks the inputs in its
    /// first gather (``EpochIterator/init(x:y:sampleWeight:classWeight:batchSize:shuffle:stepsPerEpoch:checkingInputs:generator:)``).
    var nonFiniteInput: Int? = nil
    var size: Int { x.first?.shape.first ?? 0 }
}

/// Batches of whole data arrays for `fit`, `evaluate` and `predict`. Keras 3's `EpochIterator`
/// over an `ArrayDataAdapter`: class weights become sample weights once; with `shuffle` a new
/// permutation is drawn at the start of each epoch (or, with `stepsPerEpoch`, each time a pass
/// over the data starts, the cursor carrying over from one epoch to the next and an epoch
/// ending early when the data run out, as Keras 3's `EpochIterator`); the last batch may be
/// partial. Batches are copied into tensors reused from one batch to the next (``BatchGatherer``),
/// so a warm epoch allocates nothing per batch.
/// Callers validate the arrays (``Model/checkBatch(_:_:_:)``) before making one.
final class EpochIterator {
    let count: Int
    let batchSize: Int
    let shuffle: Shuffle
    let stepsPerEpoch: Int?
    private let x: BatchGatherer, y: BatchGatherer, weights: BatchGatherer?
    /// The generator a shuffle draws from when given; nil: Keras's order (``shuffled(_:_:)``).
    private let generator: RandomGenerator?
    private var order: [Int]
    private(set) var cursor: Int
    /// The next batch, rows `start..<end` of the order, being copied on the partner thread
    /// (``GemmPartner/startCopy(indices:count:parts:_:)``) while this batch trains.
    private var pending: (start: Int, end: Int, x: [Tensor], y: [Tensor], w: [Tensor]?)?
    /// The indices of the pending batch (the partner reads them).
    private let pendingIndices: UnsafeMutablePointer<Int>
    /// True until the first shuffled gather, which then checks the inputs' values.
    private var checksInputs: Bool

    /// - Parameters:
    ///   - classWeight: weight per class index of `y[0]` (labels, or one-hot rows), multiplied
    ///     into `sampleWeight`.
    ///   - checkingInputs: the first shuffled batch reports an input with a NaN or infinite
    ///     value (``DataBatch/nonFiniteInput``), found as its rows are copied: for a shuffled
    ///     epoch of one batch, whose gather reads every row (``Model/checkBatch(_:_:_:_:checkingInputs:)``
    ///     then skips its own pass over the inputs).
    init(x: [Tensor], y: [Tensor] = [], sampleWeight: Tensor? = nil, classWeight: [Int: Float]? = nil,
         batchSize: Int, shuffle: Shuffle = false, stepsPerEpoch: Int? = nil, checkingInputs: Bool = false,
         generator: RandomGenerator? = nil) {
        checksInputs = checkingInputs
        count = x.first?.shape.first ?? 0
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.stepsPerEpoch = stepsPerEpoch
        self.x = BatchGatherer(x)
        self.y = BatchGatherer(y)
        var w = sampleWeight
        if let classWeight, let labels = y.first { w = Self.sampleWeights(classWeight, labels, w) }
        weights = w.map { BatchGatherer([$0]) }
        self.generator = generator
        order = Array(0..<count)
        cursor = count
        pendingIndices = .allocate(capacity: Swift.max(1, Swift.min(batchSize, count)))
    }

    deinit {
        finishPending()
        pendingIndices.deallocate()
    }

    /// Steps in one epoch: `stepsPerEpoch`, or one per batch of the data (no overflow for a
    /// batch size near `Int.max`; callers check that it is positive).
    var steps: Int { stepsPerEpoch ?? batches }

    /// Batches in one pass over the data.
    var batches: Int { batchSize > 0 ? count / batchSize + (count % batchSize == 0 ? 0 : 1) : 0 }


    /// The batches of the next epoch.
    func epoch() -> Epoch { Epoch(owner: self) }

    struct Epoch: Sequence, IteratorProtocol {
        let owner: EpochIterator
        var step = 0

        /// With `stepsPerEpoch`, an epoch ends when the data run out, with Keras's warning
        /// ("Your input ran out of data"); the next epoch starts a new pass.
        mutating func next() -> DataBatch? {
            guard step < owner.steps else { return nil }
            if owner.stepsPerEpoch != nil, step > 0, owner.cursor >= owner.count {
                CallContext.warn(EpochIterator.ranOutWarning)
                return nil
            }
            defer { step += 1 }
            return owner.batch(step)
        }
    }

    static let ranOutWarning = "Your input ran out of data; interrupting training. Make sure that your dataset or generator can generate at least `steps_per_epoch * epochs` batches. You may need to use the `.repeat()` function when building your dataset."

    private func batch(_ step: Int) -> DataBatch {
        if cursor >= count || stepsPerEpoch == nil && step == 0 {
            // A batch copied for a pass that ended early (stopped training) is not this one.
            finishPending()
            if shuffle != .off { order = Self.order(count, shuffle, batchSize: batchSize, generator) }
            cursor = 0
        }
        let end = count - cursor <= batchSize ? count : cursor + batchSize
        defer { cursor = end }
        if shuffle != .off {
            let batch: DataBatch
            if let p = takePending(cursor, end) {
                batch = DataBatch(step: step, x: p.x, y: p.y, sampleWeight: p.w?[0],
                                  nonFiniteInput: checksInputs ? p.x.firstIndex { $0.hasNonFinite } : nil)
                checksInputs = false
            } else if checksInputs {
                checksInputs = false
                let idx = order[cursor..<end]
                let (xs, nonFinite) = x.gatherChecked(idx)
                batch = DataBatch(step: step, x: xs, y: y.gather(idx), sampleWeight: weights?.gather(idx)[0], nonFiniteInput: nonFinite)
            } else {
                let idx = order[cursor..<end]
                batch = DataBatch(step: step, x: x.gather(idx), y: y.gather(idx), sampleWeight: weights?.gather(idx)[0])
            }
            // The next batch's rows are copied on the partner thread while this batch trains, or
            // else asked for now, so that they come in from memory meanwhile and the next gather
            // copies from the cache.
            if end < count {
                let nextEnd = count - end <= batchSize ? count : end + batchSize
                if !startPending(end, nextEnd) {
                    let next = order[end..<nextEnd]
                    x.prefetch(next)
                    y.prefetch(next)
                    weights?.prefetch(next)
                }
            }
            return batch
        }
        let r = cursor..<end
        return DataBatch(step: step, x: x.slice(r), y: y.slice(r), sampleWeight: weights?.slice(r)[0])
    }

    /// Starts copying rows `start..<end` of the order on the partner thread, into the gatherers'
    /// spare tensors: for a full-size batch of arrays large enough to be prefetched, on a fit that
    /// may use two cores (``Parallel/twoCoreFits``, not a worker of a search). False when not
    /// started (the caller prefetches instead).
    private func startPending(_ start: Int, _ end: Int) -> Bool {
        let rows = end - start
        guard pending == nil, rows == batchSize, x.isLarge, Parallel.twoCoreFits, !Parallel.isWorkerThread,
              let partner = Parallel.partner else { return false }
        let parts = x.arrays.count + y.arrays.count + (weights?.arrays.count ?? 0)
        guard parts <= GemmPartner.maximumCopyParts else { return false }
        let xs = x.spareOutputs(rows: rows), ys = y.spareOutputs(rows: rows), ws = weights?.spareOutputs(rows: rows)
        for k in 0..<rows { pendingIndices[k] = order[start + k] }
        let started = partner.startCopy(indices: pendingIndices, count: rows, parts: parts) { slots in
            var i = 0
            x.describe(xs, into: slots, from: &i)
            y.describe(ys, into: slots, from: &i)
            if let weights, let ws { weights.describe(ws, into: slots, from: &i) }
        }
        if started { pending = (start, end, xs, ys, ws) }
        return started
    }

    /// The pending batch when it is rows `start..<end`, finished and made the gatherers' current
    /// tensors; nil (and any other pending copy finished and dropped) otherwise.
    private func takePending(_ start: Int, _ end: Int) -> (x: [Tensor], y: [Tensor], w: [Tensor]?)? {
        guard let p = pending else { return nil }
        finishPending()
        guard p.start == start, p.end == end else { return nil }
        x.promoteSpare()
        y.promoteSpare()
        weights?.promoteSpare()
        return (p.x, p.y, p.w)
    }

    /// Waits for the pending copy, if any, and forgets it.
    private func finishPending() {
        guard pending != nil else { return }
        pending = nil
        GemmPartner.shared.finishCopy()
    }

    /// A shuffled pass's order of `n` rows: one from `generator` when given, else Keras's after
    /// `set_random_seed` (its array adapter's `np.random.permutation(n)`, from the library's copy
    /// of numpy's generator, ``KerasDefaultSeeds``), else one from the thread's generator.
    static func shuffled(_ n: Int, _ generator: RandomGenerator? = nil) -> [Int] {
        if let generator { return generator.permutation(n) }
        return KerasDefaultSeeds.permutation(n) ?? RandomGenerator.current.permutation(n)
    }

    /// A pass's order of `n` rows shuffled as `shuffle` says: all of them (``shuffled(_:_:)``),
    /// or each batch-sized chunk's in turn (Keras's `shuffle="batch"`: its array adapter's
    /// `np.random.permutation(size) + start` for each batch).
    static func order(_ n: Int, _ shuffle: Shuffle, batchSize: Int, _ generator: RandomGenerator? = nil) -> [Int] {
        switch shuffle {
        case .off: return Array(0..<Swift.max(n, 0))
        case .all: return shuffled(n, generator)
        case .batch:
            return stride(from: 0, to: n, by: Swift.max(batchSize, 1)).flatMap { start in
                shuffled(Swift.min(batchSize, n - start), generator).map { $0 + start }
            }
        }
    }

    /// Sample weights from class weights (labels as indices, or one-hot rows): Keras's
    /// `class_weight_to_sample_weights`; classes not listed weigh 1.
    static func sampleWeights(_ classWeight: [Int: Float], _ y: Tensor, _ sw: Tensor?) -> Tensor {
        let n = y.shape.first ?? 0
        let perRow = y.count / Swift.max(n, 1)
        let out = Tensor(shape: [n], repeating: 1)
        for i in 0..<n {
            let label: Int
            if perRow == 1 {
                label = Int(y.data[i].rounded())
            } else {
                var best = 0
                for j in 1..<perRow where y.data[i * perRow + j] > y.data[i * perRow + best] { best = j }
                label = best
            }
            out.data[i] = classWeight[label] ?? 1
            if let sw { out.data[i] *= sw.data[i] }
        }
        return out
    }
}

/// Copies rows of whole data arrays into batch tensors. The tensors of one batch are kept and
/// overwritten by the next batch of the same size when nothing else holds them any more (the
/// training step has let go of them): a warm epoch allocates nothing per batch
/// (`AllocationFreeStepTests`). A batch someone still holds is never overwritten: the next one
/// then gets new tensors.
final class BatchGatherer {
    let arrays: [Tensor]
    let rowSizes: [Int]
    /// Per array: whether it is large enough for ``prefetch(_:)`` to pay.
    private let prefetched: [Bool]
    /// True when an array is large enough for ``prefetch(_:)`` (its batches come from memory).
    /// Stored: a debug build allocates in a generic search over the flags, once per batch.
    let isLarge: Bool
    /// The tensors of the last full-size batch and of the last batch of another size (an
    /// epoch's final, partial batch), so that neither evicts the other from one epoch to the next.
    private var reusable: [Tensor] = [], reusableOther: [Tensor] = []
    /// A second full-size set, which the partner thread fills with the next batch while the
    /// current one trains (``spareOutputs(rows:)``, ``promoteSpare()``).
    private var spare: [Tensor] = []

    /// From this many bytes an array is asked into the caches ahead of its next gather: about
    /// a core's L2, beyond which a shuffled gather's rows come from memory (smaller arrays stay
    /// cached between batches, and the requests would only cost time).
    static let prefetchMinimumBytes = 1 << 20

    init(_ arrays: [Tensor]) {
        self.arrays = arrays
        rowSizes = arrays.map { $0.count / Swift.max($0.shape.first ?? 1, 1) }
        prefetched = arrays.map { $0.count * MemoryLayout<Float>.stride >= Self.prefetchMinimumBytes }
        isLarge = prefetched.contains(true)
    }

    func gather(_ idx: ArraySlice<Int>) -> [Tensor] {
        let out = outputs(rows: idx.count)
        for i in 0..<arrays.count {
            Kernels.gatherShuffledRows(arrays[i].data, idx, row: rowSizes[i], into: out[i].data, prefetch: prefetched[i])
        }
        return out
    }

    /// ``gather(_:)`` that also gives the first array with a NaN or infinite value (string
    /// values aside) among the gathered rows, found as they are copied
    /// (``Kernels/gatherShuffledRowsChecked(_:_:row:into:)``).
    func gatherChecked(_ idx: ArraySlice<Int>) -> (tensors: [Tensor], nonFinite: Int?) {
        let out = outputs(rows: idx.count)
        var nonFinite: Int?
        for i in 0..<arrays.count {
            let found = Kernels.gatherShuffledRowsChecked(arrays[i].data, idx, row: rowSizes[i], into: out[i].data)
            if found, nonFinite == nil, arrays[i].hasNonStringNonFinite { nonFinite = i }
        }
        return (out, nonFinite)
    }

    /// Asks the CPU to bring rows `idx` of the large arrays into its caches (no effect on results).
    func prefetch(_ idx: ArraySlice<Int>) {
        for i in 0..<arrays.count where prefetched[i] {
            Kernels.prefetchRows(arrays[i].data, idx, row: rowSizes[i])
        }
    }


    /// The spare set for a batch of `rows` rows, free of any other holder (new ones if not).
    func spareOutputs(rows: Int) -> [Tensor] {
        if Self.free(&spare, rows: rows, arrays: arrays.count) { return spare }
        var fresh: [Tensor] = []
        fresh.reserveCapacity(arrays.count)
        for i in 0..<arrays.count { fresh.append(Tensor.uninitialized([rows] + arrays[i].shape.dropFirst())) }
        spare = fresh
        return fresh
    }

    /// The spare set, just filled with the next batch, becomes the current full-size set, and
    /// the current one the spare.
    func promoteSpare() { swap(&reusable, &spare) }

    /// Writes one copy part per array (its rows into `outputs`) into `slots`, from slot `i` on.
    func describe(_ outputs: [Tensor], into slots: UnsafeMutablePointer<GemmPartner.RowCopyPart>, from i: inout Int) {
        for a in 0..<arrays.count {
            slots[i] = GemmPartner.RowCopyPart(source: UnsafePointer(arrays[a].data), row: rowSizes[a], destination: outputs[a].data)
            i += 1
        }
    }

    /// Rows `r` of the arrays, copied into the batch tensors; a range of every row is the arrays
    /// themselves (an unshuffled epoch of one batch, as a `predict` of 1024 rows: a 3.2 MB copy
    /// saved; nothing writes into a batch).
    func slice(_ r: Range<Int>) -> [Tensor] {
        if r.lowerBound == 0, !arrays.isEmpty, arrays[0].rank > 0, r.count == arrays[0].shape[0] { return arrays }
        let out = outputs(rows: r.count)
        for i in 0..<arrays.count { out[i].data.update(from: arrays[i].data + r.lowerBound * rowSizes[i], count: r.count * rowSizes[i]) }
        return out
    }

    /// Tensors for a batch of `rows` rows: the last batch's when it had as many rows and only
    /// this gatherer still holds them, else new ones (kept for the next batch).
    private func outputs(rows: Int) -> [Tensor] {
        if Self.free(&reusable, rows: rows, arrays: arrays.count) { return reusable }
        if Self.free(&reusableOther, rows: rows, arrays: arrays.count) { return reusableOther }
        var fresh: [Tensor] = []
        fresh.reserveCapacity(arrays.count)
        for i in 0..<arrays.count { fresh.append(Tensor.uninitialized([rows] + arrays[i].shape.dropFirst())) }
        // The first batch's size is the full one; any other size takes the second set.
        if reusable.isEmpty || (reusable[0].rank > 0 && reusable[0].shape[0] == rows) {
            reusable = fresh
        } else {
            reusableOther = fresh
        }
        return fresh
    }

    /// True when `tensors` are a set for this gatherer's arrays with `rows` rows that nothing
    /// else holds any more.
    private static func free(_ tensors: inout [Tensor], rows: Int, arrays: Int) -> Bool {
        // By index: in a debug build `.first` allocates.
        guard tensors.count == arrays, tensors.count > 0, tensors[0].rank > 0, tensors[0].shape[0] == rows else { return false }
        var free = true
        for i in 0..<tensors.count {
            if !isKnownUniquelyReferenced(&tensors[i].storage) { free = false }
        }
        return free
    }
}
