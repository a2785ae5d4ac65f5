import CHDF5
import CHDF5Shim

/// The version of the HDF5 C library the package links (`1.10.8`).
public func hdf5LibraryVersion() -> String {
    var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
    H5get_libversion(&major, &minor, &release)
    return "\(major).\(minor).\(release)"
}
