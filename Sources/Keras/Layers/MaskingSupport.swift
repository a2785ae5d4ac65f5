/// When the layers of a class pass masks on (Keras's `supports_masking`), declared once per
/// class so that the catalogue lists it (Python's `layer.supports_masking` reads it there) and
/// every layer made takes it (``Layer/supportsMasking``).
public enum MaskingSupport: Sendable, Equatable {
    /// Never (Keras's default: the layer drops its input's mask).
    case never
    /// Always (Dense, Dropout, the merge and recurrent layers).
    case always
    /// When the named constructor argument is true (Embedding's `mask_zero`); the class's
    /// initializer sets ``Layer/supportsMasking`` from it.
    case whenArgument(String)

    /// The catalogue's `"supports_masking"`: true, or the argument's name; nil for never.
    var catalogueValue: JSON? {
        switch self {
        case .never: return nil
        case .always: return .bool(true)
        case .whenArgument(let name): return .string(name)
        }
    }
}
