// Fuzz target for the model-file readers (JSON configs, HDF5, .keras zip) and, through the C ABI,
// the JSON that configures training (compile specs, fit/evaluate/predict options, estimator
// params and search grids); see README "Fuzzing".
//
//   swift build -c debug --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
//       -Xswiftc -DFUZZING --product KerasFuzz
//   .build-fuzz/debug/KerasFuzz -max_total_time=20 Tests/KerasTests/Fixtures/saving
//
// Built without -DFUZZING (the ordinary `swift build`), it replays the files given as arguments.
import Foundation
import Keras

/// `KERAS_FUZZ_READERS=json,keras,h5,compile,fit,estimator` picks the readers (all by default).
let readers = Set((ProcessInfo.processInfo.environment["KERAS_FUZZ_READERS"] ?? "json,keras,h5,compile,fit,estimator")
    .split(separator: ",").map(String.init))

/// Runs the chosen readers of both kinds on `bytes`; how many calls accepted it.
@discardableResult
func runReaders(_ bytes: [UInt8]) -> Int {
    let options = readers.intersection(OptionsFuzzing.readers)
    return ReaderFuzzing.run(bytes, readers: readers) + (options.isEmpty ? 0 : OptionsFuzzing.run(bytes, readers: options))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    runReaders(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
/// libFuzzer's driver; SwiftPM names an executable's entry point `<target>_main`, so the
/// fuzzer's own `main` is not used and the driver is started from here.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
    }
}
#else
/// Replays corpus files through the readers (libFuzzer provides `main` when fuzzing).
@main
struct ReplayCorpus {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let bytes = FileManager.default.contents(atPath: path) else { continue }
            print("\(path): \(runReaders([UInt8](bytes))) call(s) accepted it")
        }
    }
}
#endif
