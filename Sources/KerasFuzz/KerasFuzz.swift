// Fuzz target for the model-file readers (JSON configs, HDF5, .keras zip); see README "Fuzzing".
//
//   swift build -c debug --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
//       -Xswiftc -DFUZZING --product KerasFuzz
//   .build-fuzz/debug/KerasFuzz -max_total_time=20 Tests/KerasTests/Fixtures/saving
//
// Built without -DFUZZING (the ordinary `swift build`), it replays the files given as arguments.
import Foundation
import Keras

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    ReaderFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if !FUZZING
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
