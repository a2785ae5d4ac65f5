/// SwiftKeras's own version.
public let version = "0.1.0"
/// The Keras version whose behaviour and file formats this library follows.
public let kerasCompatibilityVersion = "3.15.1"
