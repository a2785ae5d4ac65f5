import Keras

/// The library version as "MAJOR.MINOR.PATCH"; a static string the caller must not free.
@_cdecl("keras_version")
public func keras_version() -> UnsafePointer<CChar> {
    KerasCVersion.text
}

enum KerasCVersion {
    nonisolated(unsafe) static let text: UnsafePointer<CChar> = {
        let s = Keras.version
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: s.utf8.count + 1)
        s.withCString { p.update(from: $0, count: s.utf8.count + 1) }
        return UnsafePointer(p)
    }()
}

/// Every object a config can name, built-in and registered, as JSON (see keras.h).
@_cdecl("keras_catalog_json")
public func keras_catalog_json(_ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_catalog_json") {
        let out = try requireOut(out, "out_json")
        out.pointee = nil
        out.pointee = try ownedCString(Catalogue.json.description)
    }
}

/// The Keras config of a built-in object made from the arguments given (see keras.h).
@_cdecl("keras_object_config")
public func keras_object_config(_ kind: UnsafePointer<CChar>?, _ objectJSON: UnsafePointer<CChar>?,
                                _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_object_config") {
        let out = try requireOut(out, "out_json")
        out.pointee = nil
        let kindName = try string(kind, "kind")
        guard let family = KerasObjectKind(rawValue: kindName) else {
            throw KerasError.invalidArgument("keras_object_config: unknown kind '\(kindName)' (loss, metric, optimizer, "
                + "schedule, initializer, regularizer or constraint)")
        }
        let object = try json(objectJSON, "object_json")
        guard let className = object["class_name"]?.stringValue else {
            throw KerasError.invalidArgument("keras_object_config: object_json needs a \"class_name\" string, got \(object)")
        }
        let serialized = try builtinObjectSerialized(kind: family, className: className, config: object["config"] ?? .null)
        out.pointee = try ownedCString(serialized.description)
    }
}
