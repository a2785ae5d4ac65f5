// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SwiftKeras",
    products: [
        .library(name: "Keras", targets: ["Keras"]),
        .library(name: "KerasSklearn", targets: ["KerasSklearn"]),
        // Iris, digits and an Otto-shaped table for examples (kept out of the Keras library).
        .library(name: "KerasDatasets", targets: ["KerasDatasets"]),
        // libkeras.so: the C ABI declared in include/keras.h.
        .library(name: "keras", type: .dynamic, targets: ["KerasC"]),
        .executable(name: "swiftkeras", targets: ["swiftkeras"]),
    ],
    dependencies: [
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // Accessors for HDF5 macros that Swift cannot import (H5T_NATIVE_FLOAT, H5F_ACC_TRUNC, ...),
        // the AVX2 recurrent step kernels (kernels.c) and the int8 product (int8.c). One C compile unit:
        // shim.c includes headers.c, kernels.c and int8.c (excluded here), because Debian's valgrind 3.19 cannot read a
        // libkeras.so with two DWARF 5 C units (`make test-c`).
        .target(name: "CHDF5Shim", dependencies: ["CHDF5"], exclude: ["headers.c", "kernels.c", "int8.c"]),
        // The bounds of the linker section where each layer's file records its declaration.
        .target(name: "KerasSections"),
        .target(
            name: "Keras",
            dependencies: ["CBLAS", "CHDF5", "CHDF5Shim", "KerasSections", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .target(name: "KerasSklearn", dependencies: ["Keras"]),
        .target(name: "KerasC", dependencies: ["Keras", "KerasSklearn"]),
        // Generated tables (scripts/embed_datasets.py) and the synthetic Otto-shaped data.
        .target(name: "KerasDatasets", dependencies: ["Keras"]),
        // Fuzz target for the file readers and, through the C ABI, the training JSON (README
        // "Fuzzing"); a corpus replayer in normal builds.
        .executableTarget(name: "KerasFuzz", dependencies: ["Keras", "KerasC"]),
        .executableTarget(name: "swiftkeras", dependencies: ["Keras", "KerasSklearn", "KerasDatasets"]),
        // `make bench`, with the workloads it times (TrainingStepCosts, SklearnBenchmarks).
        .executableTarget(name: "KerasBench", dependencies: ["Keras", "KerasSklearn", "KerasDatasets", "CBLAS"],
                          path: "Benchmarks/KerasBench"),
        // A counting malloc that interposes glibc's in the test executable (WarmStepAllocationTests).
        .target(name: "KerasMallocCounter", path: "Tests/MallocCounter"),
        .testTarget(name: "KerasTests", dependencies: ["Keras", "KerasDatasets", "KerasFuzz", "KerasMallocCounter"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "KerasSklearnTests", dependencies: ["KerasSklearn", "KerasDatasets"], resources: [.copy("Fixtures")]),
        .testTarget(name: "KerasDatasetsTests", dependencies: ["KerasDatasets"]),
        .testTarget(name: "KerasBenchTests", dependencies: ["KerasBench"]),
    ],
    swiftLanguageModes: [.v5]
)
