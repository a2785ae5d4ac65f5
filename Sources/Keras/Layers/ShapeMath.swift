/// Shape arithmetic that throws instead of trapping when user-given sizes overflow `Int`.
enum ShapeMath {
    /// The product of `dims`; throws naming `context` when it does not fit in an `Int`.
    static func product(_ dims: [Int], _ context: @autoclosure () -> String) throws -> Int {
        var p = 1
        for d in dims {
            let (r, overflow) = p.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw KerasError.invalidArgument("\(context()): the sizes \(dims) multiply to more than \(Int.max) elements")
            }
            p = r
        }
        return p
    }

    /// `a + b`; throws naming `context` on overflow.
    static func sum(_ a: Int, _ b: Int, _ context: @autoclosure () -> String) throws -> Int {
        let (r, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw KerasError.invalidArgument("\(context()): the size \(a) + \(b) overflows") }
        return r
    }
}
