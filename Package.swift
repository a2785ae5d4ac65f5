// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SwiftKeras",
    products: [
        .library(name: "Keras", targets: ["Keras"]),
        .executable(name: "swiftkeras", targets: ["swiftkeras"]),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .target(
            name: "Keras",
            dependencies: ["CBLAS", "CHDF5"],
            resources: [.copy("Data/Resources")]
        ),
        .executableTarget(name: "swiftkeras", dependencies: ["Keras"]),
        .executableTarget(name: "KerasBench", dependencies: ["Keras", "CBLAS"], path: "Benchmarks/KerasBench"),
        .testTarget(name: "KerasTests", dependencies: ["Keras"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
