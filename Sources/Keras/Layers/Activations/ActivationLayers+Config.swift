/// Rebuilding the activation layers from Keras configs (`ObjectRegistry.registerLayer("ReLU",
/// ReLU.fromConfig)`, or one line each in the saving layer table).
extension ReLU {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = try ReLU(maxValue: try c.optionalFloat("max_value"), negativeSlope: try c.float("negative_slope", default: 0),
                             threshold: try c.float("threshold", default: 0), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension LeakyReLU {
    /// Reads `negative_slope`, or Keras 2's `alpha`.
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let slope = try c.optionalFloat("negative_slope") ?? c.float("alpha", default: 0.3)
        let layer = try LeakyReLU(negativeSlope: slope, name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension ELU {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = try ELU(alpha: try c.float("alpha", default: 1), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension Softmax {
    /// Keras 2 may write a one-element list for `axis`.
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        var axis = -1
        if let v = c["axis"] {
            guard let a = v.intValue ?? (v.arrayValue?.count == 1 ? v.arrayValue?[0].intValue : nil) else {
                throw KerasError.io("Softmax config: 'axis' must be an integer, got \(v)")
            }
            axis = a
        }
        let layer = Softmax(axis: axis, name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension ThresholdedReLU {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = try ThresholdedReLU(theta: try c.float("theta", default: 1), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension PReLU {
    /// `shared_axes` may be an integer or a list.
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        var shared: [Int]?
        if let v = c["shared_axes"] {
            if let i = v.intValue { shared = [i] } else {
                guard let list = v.arrayValue?.compactMap(\.intValue), list.count == v.arrayValue?.count else {
                    throw KerasError.io("PReLU config: 'shared_axes' must be an integer or a list of integers, got \(v)")
                }
                shared = list
            }
        }
        let layer = PReLU(alphaInitializer: try c.initializer("alpha_initializer", default: Zeros()),
                          alphaRegularizer: try c.regularizer("alpha_regularizer"),
                          alphaConstraint: try c.constraint("alpha_constraint"), sharedAxes: shared, name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}
