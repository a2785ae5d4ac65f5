import Keras

/// The largest rank an array may have across the ABI (KERAS_MAX_RANK).
let maxRank = 8

/// Validates a C shape and returns it with its element count.
func shapeArray(_ ndim: Int32, _ shape: UnsafePointer<Int64>?, _ what: String) throws -> (shape: [Int], count: Int) {
    guard ndim >= 1 && Int(ndim) <= maxRank else {
        throw ABIError(.invalidArgument, "\(what): ndim must be between 1 and \(maxRank), got \(ndim)")
    }
    guard let shape else { throw ABIError(.invalidArgument, "\(what): the shape pointer is NULL") }
    var dims: [Int] = []
    var count = 1
    for i in 0..<Int(ndim) {
        let d = shape[i]
        guard d >= 0 else { throw ABIError(.invalidArgument, "\(what): dimension \(i) is negative (\(d))") }
        guard d <= Int64(Int32.max) else { throw ABIError(.invalidArgument, "\(what): dimension \(i) is too large (\(d))") }
        let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
        guard !overflow, p <= Int(Int32.max) * 4 else {
            throw ABIError(.invalidArgument, "\(what): the shape \(Array(UnsafeBufferPointer(start: shape, count: Int(ndim)))) has too many elements")
        }
        count = p
        dims.append(Int(d))
    }
    return (dims, count)
}

/// A tensor over a caller's float32 buffer: borrowed (read in place, never written or kept past
/// the call; keras.h "Arrays") when `borrow` is true, as for the model's fit, evaluate and
/// predict, else copied (for calls whose result may keep the data).
func inputTensor(_ data: UnsafePointer<Float>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?, _ what: String,
                 borrow: Bool = false) throws -> Tensor {
    let (dims, count) = try shapeArray(ndim, shape, what)
    guard let data else {
        if count == 0 { return Tensor(shape: dims) }
        throw ABIError(.invalidArgument, "\(what): the data pointer is NULL")
    }
    if borrow { return try Tensor(borrowing: data, shape: dims) }
    let t = Tensor(shape: dims)
    t.data.update(from: data, count: count)
    return t
}

/// The out-parameters of a call that gives a JSON layout and its numbers in a caller buffer
/// (keras_model_history, keras_model_optimizer_variables): both required and cleared first, the
/// capacity not negative.
func layoutAndCount(_ layoutOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                    _ countOut: UnsafeMutablePointer<Int64>?, _ capacity: Int64) throws
    -> (layout: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, count: UnsafeMutablePointer<Int64>) {
    let layout = try requireOut(layoutOut, "layout_json")
    layout.pointee = nil
    let count = try requireOut(countOut, "count")
    count.pointee = 0
    guard capacity >= 0 else { throw ABIError(.invalidArgument, "capacity is negative (\(capacity))") }
    return (layout, count)
}

/// Writes `total` values into a caller buffer of `capacity` with `fill`, for the calls of
/// ``layoutAndCount(_:_:_:)``: `*count` receives `total` also when they do not fit, which is
/// BUFFER_TOO_SMALL with nothing else written. `what` names them in messages ("the History").
func writeCounted<T>(_ total: Int, into values: UnsafeMutablePointer<T>?, capacity: Int64,
                     count: UnsafeMutablePointer<Int64>, what: String,
                     _ fill: (UnsafeMutablePointer<T>) throws -> Void) throws {
    count.pointee = Int64(total)
    guard Int64(total) <= capacity else {
        throw ABIError(.bufferTooSmall, "\(what) holds \(total) values, the buffer \(capacity)")
    }
    guard total > 0 else { return }
    guard let values else { throw ABIError(.invalidArgument, "values is NULL but \(what) holds \(total) values") }
    try fill(values)
}

/// Copies `t` into a caller's buffer of `capacity` floats, writing its shape when asked. The shape
/// is written even when the buffer is too small, so that the caller can size it and retry.
func copyOut(_ t: Tensor, _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64,
             _ outShape: UnsafeMutablePointer<Int64>?, _ outNdim: UnsafeMutablePointer<Int32>?, _ what: String) throws {
    guard t.rank <= maxRank else { throw ABIError(.shape, "\(what): the result has rank \(t.rank), more than \(maxRank)") }
    if let outNdim { outNdim.pointee = Int32(t.rank) }
    if let outShape { for (i, d) in t.shape.enumerated() { outShape[i] = Int64(d) } }
    guard capacity >= 0 else { throw ABIError(.invalidArgument, "\(what): the capacity is negative (\(capacity))") }
    guard Int64(t.count) <= capacity else {
        throw ABIError(.bufferTooSmall, "\(what): the result \(t.shape) needs \(t.count) floats, the buffer holds \(capacity)")
    }
    guard let out else {
        if t.count == 0 { return }
        throw ABIError(.invalidArgument, "\(what): the output buffer is NULL")
    }
    out.update(from: t.data, count: t.count)
}
