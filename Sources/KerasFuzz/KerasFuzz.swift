// Fuzz target for the model-file readers (JSON configs, HDF5, .keras zip); see README "Fuzzing".
//
//   swift build -c debug --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
//       -Xswiftc -DFUZZING --product KerasFuzz
//   .build-fuzz/debug/KerasFuzz -max_total_time=20 Tests/KerasTests/Fixtures/saving
//
// Built without -DFUZZING (the ordinary `swift build`), it replays the files given as arguments.
import Foundation
import Keras

/// `KERAS_FUZZ_READERS=json,keras,h5` picks the readers (all by default).
let readers = Set((ProcessInfo.processInfo.environment["KERAS_FUZZ_READERS"] ?? "json,keras,h5").split(separator: ",").map(String.init))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    ReaderFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)), readers: readers)
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
            print("\(path): \(ReaderFuzzing.run([UInt8](bytes))) reader(s) accepted it")
        }
    }
}
#endif
