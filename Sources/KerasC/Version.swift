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
