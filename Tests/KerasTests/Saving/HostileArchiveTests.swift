import XCTest
@testable import Keras
import ZIPFoundation

/// Issue 17: `.keras` files with two readings, zip bombs, NaN weights, models larger than the
/// memory budget, and the durability of saving (temporary files, overwrite=false).
final class HostileArchiveTests: ScratchFolderTestCase {
    /// The members of a `.keras` fixture, to rebuild it by hand.
    func members(_ name: String) throws -> [(String, [UInt8])] {
        let archive = try Archive(url: URL(fileURLWithPath: try SavingFixtures.path(name)), accessMode: .read)
        return try ["metadata.json", "config.json", "model.weights.h5"].map { n in
            var bytes: [UInt8] = []
            _ = try archive.extract(try XCTUnwrap(archive[n])) { bytes += $0 }
            return (n, bytes)
        }
    }

    // MARK: Files with one reading

    func testHandMadeZipsWithDuplicateOrMismatchedEntriesAreRefused() throws {
        let parts = try members("dense_sequential.keras")
        let good = "\(dir)/good.keras"
        try StoredZip.write(parts, to: good)
        let expected = try SavingFixtures.expected("dense_sequential")
        XCTAssertEqual(try loadModel(good).predict(expected.inputs[0]).scalars.count, expected.outputs[0].count,
                       "a hand-made zip of the same members loads")

        let other = try XCTUnwrap(String(bytes: parts[1].1, encoding: .utf8)).replacingOccurrences(of: "\"units\": 8", with: "\"units\": 9")
        let twice = "\(dir)/twice.keras"
        try StoredZip.write(parts + [("config.json", Array(other.utf8))], to: twice)
        assertError("two config.json", contains: "'config.json' appears twice") { _ = try loadModel(twice) }
        assertError("two config.json, load_weights", contains: "appears twice") {
            try loadModel(good).loadWeights(twice)
        }

        let renamed = "\(dir)/renamed.keras"
        try StoredZip.write(parts, to: renamed, localName: { $0 == "config.json" ? "cOnfig.json" : $0 })
        assertError("local and central names differ", contains: "differ") { _ = try loadModel(renamed) }

        let sized = "\(dir)/sized.keras"
        try StoredZip.write(parts, to: sized, localSizeDelta: 1)
        assertError("local and central sizes differ", contains: "different sizes") { _ = try loadModel(sized) }
    }

    func testAMemberLargerThanTheBudgetIsRefusedBeforeItIsInflated() throws {
        let parts = try members("dense_sequential.keras")
        let path = "\(dir)/bomb.keras"
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        let size = 8 << 20
        for (name, bytes) in parts.prefix(2) {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .none) { pos, n in
                Data(bytes[Int(pos)..<(Int(pos) + n)])
            }
        }
        try archive.addEntry(with: "model.weights.h5", type: .file, uncompressedSize: Int64(size), compressionMethod: .deflate) { _, n in
            Data(count: n)
        }
        let onDisk = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertLessThan(onDisk, 64 << 10, "8 MiB of zeros deflate to a small file")
        MemoryBudget.bytes = 4 << 20
        assertError("an 8 MiB member under a 4 MiB budget", contains: "declares \(size) bytes, more than the \(4 << 20) allowed") {
            _ = try loadModel(path)
        }
        MemoryBudget.reset()
        assertError("within the budget the member is read, and is not HDF5", contains: "not an HDF5 file") { _ = try loadModel(path) }
    }

    func testNaNWeightsInAFileAreRefusedAsSetWeightsRefusesThem() throws {
        let m = try Sequential([Dense(2, inputShape: [3])])
        m.weights[0].value.data[1] = .nan
        for name in ["nan.keras", "nan.weights.h5", "nan.h5"] {
            if name.hasSuffix(".weights.h5") { try m.saveWeights("\(dir)/\(name)") } else { try m.save("\(dir)/\(name)") }
        }
        let fresh = try Sequential([Dense(2, inputShape: [3])])
        let before = fresh.weights.map(\.numpy)
        for name in ["nan.keras", "nan.weights.h5", "nan.h5"] {
            assertError("load_weights(\(name))", contains: "NaN or infinite") { try fresh.loadWeights("\(dir)/\(name)") }
            XCTAssertEqual(fresh.weights.map(\.numpy), before, "\(name): a refused file changes nothing")
        }
        assertError("load_model", contains: "NaN or infinite") { _ = try loadModel("\(dir)/nan.keras") }
    }

    // MARK: Memory budget

    func testAConfigWhoseWeightsTogetherExceedTheBudgetIsRefusedBeforeAllocating() throws {
        func config(_ units: [Int]) -> String {
            let layers = units.map { "{\"class_name\": \"Dense\", \"config\": {\"units\": \($0)}}" }.joined(separator: ", ")
            return "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 256]}}, \(layers)]}}"
        }
        MemoryBudget.bytes = 1 << 20
        // Each 256x256 kernel is 256 KiB (plus bias): three fit in 1 MiB, five do not.
        XCTAssertEqual(try modelFromJSON(config([256, 256, 256])).countParams(), 3 * (256 * 256 + 256))
        assertError("five layers", contains: "more than the memory budget of \(1 << 20) bytes") {
            _ = try modelFromJSON(config([256, 256, 256, 256, 256]))
        }
        assertError("one layer alone over the budget", contains: "memory budget") { _ = try modelFromJSON(config([4096])) }
        MemoryBudget.reset()
        XCTAssertGreaterThan(MemoryBudget.bytes, 1 << 20)
        XCTAssertNotNil(try modelFromJSON(config([256, 256, 256, 256, 256])))
    }

    func testWithoutInitializingLeavesHugeWeightsUntouched() throws {
        let rss = { () -> Int in
            let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
            return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
        }
        let json = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": [null, 10000]}}, {\"class_name\": \"Dense\", \"config\": {\"units\": 10000}}]}}"
        let before = rss()
        let m = try MemoryBudget.withoutInitializing { try modelFromJSON(json) }
        XCTAssertEqual(try m.countParams(), 10000 * 10000 + 10000)
        XCTAssertTrue(m.summaryText().contains("100,010,000"))
        XCTAssertLessThan(rss() - before, 100 << 20, "400 MB of weights were allocated but never written")
        XCTAssertEqual(InitialValues.current, .drawn, "the mode is restored")
    }

    // MARK: Durable saving

    func testStaleTemporaryFilesOfOurNamingAreCleanedAndOthersKept() throws {
        let m = try Sequential([Dense(2, inputShape: [3])])
        let fm = FileManager.default
        let dead = ".m.keras.tmp-99999999-7", legacy = ".m.keras.tmp-12345", fresh = ".m.keras.tmp-54321"
        let live = ".m.keras.tmp-\(getpid())-9", foreign = ".m.keras.tmp-abc", otherFile = ".n.keras.tmp-99999999-7"
        for name in [dead, legacy, fresh, live, foreign, otherFile] { XCTAssertTrue(fm.createFile(atPath: "\(dir)/\(name)", contents: Data([1]))) }
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: "\(dir)/\(legacy)")
        try m.save("\(dir)/m.keras")
        let left = Set(try fm.contentsOfDirectory(atPath: dir))
        XCTAssertEqual(left, ["m.keras", fresh, live, foreign, otherFile])
    }

    /// Found by the stress test (bindings/c/stress): HDF5 knew every in-memory weights image by
    /// one name, so two threads saving `.keras` files at once failed.
    func testThreadsSavingKerasFilesAtOnceAllSucceed() throws {
        let failures = Mutex(), done = DispatchGroup()
        nonisolated(unsafe) var errors: [String] = []
        let folder = dir
        for t in 0..<8 {
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    let m = try Sequential([Dense(16, inputShape: [16])])
                    for i in 0..<8 {
                        try m.save("\(folder)/t\(t)-\(i).keras")
                        _ = try loadModel("\(folder)/t\(t)-\(i).keras")
                    }
                } catch {
                    failures.withLock { errors.append("\(error)") }
                }
            }.start()
        }
        done.wait()
        XCTAssertEqual(errors, [])
    }

    func testOverwriteFalseNeverReplacesAndLeavesNoTemporaryFile() throws {
        let a = try Sequential([Dense(2, inputShape: [3])]), b = try Sequential([Dense(2, inputShape: [3])])
        for name in ["m.keras", "m.h5", "m.json"] {
            let path = "\(dir)/\(name)"
            try a.save(path, overwrite: false)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            assertError("\(name) again", contains: "exists and overwrite is false") { try b.save(path, overwrite: false) }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes)
            try b.save(path)
            XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: path)), bytes, "overwrite=true replaces")
        }
        try a.saveWeights("\(dir)/w.weights.h5", overwrite: false)
        assertError("weights again", contains: "exists") { try b.saveWeights("\(dir)/w.weights.h5", overwrite: false) }
        XCTAssertEqual(try loadModel("\(dir)/m.keras").weights.map(\.numpy), b.weights.map(\.numpy))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir)), ["m.keras", "m.h5", "m.json", "w.weights.h5"])
    }
}

/// A zip writer for tests: stored entries, with the local headers optionally disagreeing with
/// the central directory.
enum StoredZip {
    static func write(_ entries: [(String, [UInt8])], to path: String, localName: (String) -> String = { $0 },
                      localSizeDelta: UInt32 = 0) throws {
        var out: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int, _ b: inout [UInt8]) { b += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt32, _ b: inout [UInt8]) { u16(Int(v & 0xFFFF), &b); u16(Int(v >> 16), &b) }
        for (name, data) in entries {
            let crc = UInt32(Data(data).crc32(checksum: 0)), offset = UInt32(out.count), n = Array(name.utf8)
            let local = Array(localName(name).utf8)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(UInt32(data.count) + localSizeDelta, &out); u32(UInt32(data.count) + localSizeDelta, &out)
            u16(local.count, &out); u16(0, &out); out += local; out += data
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(crc, &central); u32(UInt32(data.count), &central); u32(UInt32(data.count), &central)
            u16(n.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central); u32(0, &central)
            u32(offset, &central); central += n
        }
        let cdOffset = UInt32(out.count)
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt32(central.count), &out); u32(cdOffset, &out); u16(0, &out)
        try Data(out).write(to: URL(fileURLWithPath: path))
    }
}
