/// Window ops of the op graph (`ops.conv`, `ops.depthwise_conv`, `ops.conv_transpose`,
/// `ops.max_pool`, `ops.average_pool`), channels-last: each is the library's own differentiable op; the Python
/// binding transposes channels-first inputs around them. `ops.adaptive_average_pool` and
/// `ops.adaptive_max_pool` take either layout (`data_format`).
extension OpGraphOp {
    /// Window ops and their number of inputs; nil for a name that is not one.
    static func window(_ name: String, _ a: OpAttributes) throws -> (Int, ([Tensor]) throws -> Tensor)? {
        switch name {
        case "conv", "depthwise_conv", "conv_transpose", "max_pool", "average_pool": break
        case "adaptive_average_pool", "adaptive_max_pool":
            // Either layout, as Keras's op takes it (no transpose around it).
            guard let sizes = try a.axes("output_size") else { throw a.bad("output_size", "is required") }
            let format = a.json["data_format"].flatMap { $0.isNull ? nil : $0 }
            guard let formatName = format.map({ $0.stringValue }) ?? "channels_last",
                  let dataFormat = DataFormat(rawValue: formatName) else {
                throw a.bad("data_format", "must be \"channels_last\" or \"channels_first\"")
            }
            return (1, { x in
                try Ops.adaptivePool(x[0], outputSize: sizes, dataFormat: dataFormat, takesMaximum: name == "adaptive_max_pool")
            })
        default: return nil
        }
        let given = a.json["padding"].flatMap { $0.isNull ? nil : $0 }
        guard let paddingName = given.map({ $0.stringValue }) ?? "valid" else {
            throw a.bad("padding", "must be \"valid\" or \"same\"")
        }
        let padding = try ConvPadding.named(paddingName, name)
        guard padding != .causal else { throw a.bad("padding", "must be \"valid\" or \"same\", got \"causal\"") }
        let strides = try a.axes("strides"), dilation = try a.axes("dilation_rate")
        /// Strides or dilation per spatial axis of `x`: one value repeated, or one per axis.
        func perAxis(_ v: [Int]?, _ key: String, default d: [Int]?, _ x: Tensor) throws -> [Int] {
            let r = x.rank - 2
            guard r >= 1 else {
                throw KerasError.shapeMismatch("\(name): expects an input of rank 3 to 5 (batch, spatial..., channels), got shape \(x.shape)")
            }
            guard let v = v ?? d else { throw a.bad(key, "is required") }
            if v.count == 1 { return Array(repeating: v[0], count: r) }
            guard v.count == r else { throw a.bad(key, "has \(v.count) values for \(r) spatial axes") }
            return v
        }
        switch name {
        case "conv_transpose":
            // Keras's kernel (k..., out, in); output_padding per spatial axis or None.
            let outputPadding = try a.axes("output_padding")
            return (2, { x in
                let s = try perAxis(strides, "strides", default: [1], x[0])
                let d = try perAxis(dilation, "dilation_rate", default: [1], x[0])
                let o = try outputPadding.map { try perAxis($0, "output_padding", default: nil, x[0]) }
                return try Ops.convTranspose(x[0], kernel: x[1], bias: nil, strides: s, padding: padding,
                                             outputPadding: o, dilation: d)
            })
        case "conv", "depthwise_conv":
            return (2, { x in
                let s = try perAxis(strides, "strides", default: [1], x[0])
                let d = try perAxis(dilation, "dilation_rate", default: [1], x[0])
                if name == "depthwise_conv" {
                    return try Ops.depthwiseConv(x[0], kernel: x[1], bias: nil, strides: s, padding: padding, dilation: d)
                }
                let r = x[0].rank - 2, cg = x[1].rank == r + 2 ? x[1].shape[r] : 0
                guard cg > 0, x[0].shape[r + 1] % cg == 0 else {
                    throw KerasError.shapeMismatch("conv: input of shape \(x[0].shape) does not fit a kernel of shape \(x[1].shape) (k..., in / groups, filters)")
                }
                return try Ops.conv(x[0], kernel: x[1], bias: nil, strides: s, padding: padding, dilation: d,
                                    groups: x[0].shape[r + 1] / cg)
            })
        default:
            let pool = try a.axes("pool_size")
            return (1, { x in
                let p = try perAxis(pool, "pool_size", default: nil, x[0])
                let s = try perAxis(strides, "strides", default: p, x[0])
                return name == "max_pool"
                    ? try Ops.maxPool(x[0], poolSize: p, strides: s, padding: padding)
                    : try Ops.averagePool(x[0], poolSize: p, strides: s, padding: padding)
            })
        }
    }
}
