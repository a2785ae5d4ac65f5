import Foundation
import XCTest
@testable import Keras

/// A one-thread HTTP server on 127.0.0.1 that answers `200 OK` to a fixed number of requests and
/// keeps each request's head and body.
final class LoopbackServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(head: String, body: String)] = []
    private let done = DispatchSemaphore(value: 0)

    init(requests: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw KerasError.io("LoopbackServer: cannot listen") }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in
            for _ in 0..<requests { serveOne() }
            done.signal()
        }
        thread.start()
    }

    private func serveOne() {
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return }
        defer { close(client) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
            let text = String(decoding: data, as: UTF8.self)
            guard let split = text.range(of: "\r\n\r\n") else { continue }
            let head = String(text[..<split.lowerBound])
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let body = String(text[split.upperBound...])
            if body.utf8.count >= length {
                lock.lock(); received.append((head, body)); lock.unlock()
                break
            }
        }
        let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The requests once all have come (or after 20 s).
    func requests() -> [(head: String, body: String)] {
        _ = done.wait(timeout: .now() + 20)
        close(fd)
        lock.lock()
        defer { lock.unlock() }
        return received
    }
}

final class RemoteMonitorTests: XCTestCase {
    private func fit(_ monitor: RemoteMonitor) throws -> History {
        let model = try Sequential([Dense(1, inputDim: 1)])
        try model.compile(optimizer: "sgd", loss: "mse", metrics: ["mae"])
        return try model.fit(Tensor([[1], [2], [3]]), Tensor([[1], [2], [3]]), epochs: 2, verbose: 0, callbacks: [monitor])
    }

    func testPostsEachEpochAsAFormField() throws {
        let server = try LoopbackServer(requests: 2)
        let h = try fit(try RemoteMonitor(root: "http://127.0.0.1:\(server.port)", headers: [("X-Run", "seven")]))
        let got = server.requests()
        XCTAssertEqual(got.count, 2)
        for (epoch, r) in got.enumerated() {
            XCTAssertTrue(r.head.hasPrefix("POST /publish/epoch/end/ HTTP/1.1\r\n"), r.head)
            XCTAssertTrue(r.head.contains("\r\nContent-Type: application/x-www-form-urlencoded"), r.head)
            XCTAssertTrue(r.head.contains("\r\nX-Run: seven"), r.head)
            let json = "{\"epoch\": \(epoch), \"loss\": \(pythonJSONFloat(h.history["loss"]![epoch])), \"mae\": \(pythonJSONFloat(h.history["mae"]![epoch]))}"
            XCTAssertEqual(r.body, "data=" + formEncoded(json))
            XCTAssertEqual(r.body.removingPercentEncoding?.replacingOccurrences(of: "+", with: " ").hasPrefix("data={\"epoch\": \(epoch), \"loss\": "), true)
        }
    }

    func testPostsJSONWhenAsked() throws {
        let server = try LoopbackServer(requests: 2)
        _ = try fit(try XCTUnwrap(try callback(className: "RemoteMonitor", arguments: [
            "root": .string("http://127.0.0.1:\(server.port)"), "path": "/events", "send_as_json": true]) as? RemoteMonitor))
        let got = server.requests()
        XCTAssertEqual(got.count, 2)
        XCTAssertTrue(got[1].head.hasPrefix("POST /events HTTP/1.1\r\n"))
        XCTAssertTrue(got[1].head.contains("Content-Type: application/json"))
        let decoded = try JSONSerialization.jsonObject(with: Data(got[1].body.utf8)) as? [String: Any]
        XCTAssertEqual(decoded?["epoch"] as? Int, 1)
        XCTAssertNotNil(decoded?["loss"] as? Double)
    }

    func testAnUnreachableServerIsAWarning() throws {
        // A port that was just free: nothing listens there.
        let closed = try LoopbackServer(requests: 0)
        let port = closed.port
        _ = closed.requests()
        var warnings: [String] = []
        let monitor = try RemoteMonitor(root: "http://127.0.0.1:\(port)")
        monitor.warn = { warnings.append($0) }
        _ = try fit(monitor)
        XCTAssertEqual(warnings, Array(repeating: "Could not reach RemoteMonitor root server at http://127.0.0.1:\(port)", count: 2))
        XCTAssertThrowsError(try RemoteMonitor(root: "https://example.com"))
        XCTAssertThrowsError(try RemoteMonitor(root: "http://127.0.0.1:99999"))
        XCTAssertThrowsError(try RemoteMonitor(headers: [("Bad\r\nHeader", "x")]))
    }

    func testFormsAndJSONAsPythonWritesThem() {
        XCTAssertEqual(formEncoded("{\"a b\": 1.5e-05}"), "%7B%22a+b%22%3A+1.5e-05%7D")
        XCTAssertEqual(pythonJSONFloat(2), "2.0")
        XCTAssertEqual(pythonJSONFloat(.nan), "NaN")
        XCTAssertEqual(pythonJSONString("é\"\n"), "\"\\u00e9\\\"\\n\"")
    }
}
