#if canImport(Glibc)
import Glibc
#endif

/// Posts the epoch logs to an HTTP server at the end of every epoch: `{"epoch": 0, "loss": ...}`
/// as a form field (`data=<json>`) or, with `sendAsJSON`, as an `application/json` body. A server
/// that cannot be reached is a warning, not an error, as in Keras.
/// Keras: `RemoteMonitor(root="http://localhost:9000", path="/publish/epoch/end/", field="data",
/// headers=None, send_as_json=False)`.
///
/// ```swift
/// try model.fit(x, y, epochs: 5, callbacks: [try RemoteMonitor(root: "http://127.0.0.1:9000")])
/// ```
public final class RemoteMonitor: Callback, @unchecked Sendable {
    public let root: String
    public let path: String
    public let field: String
    public let headers: [(String, String)]
    public let sendAsJSON: Bool
    /// Seconds to wait for the server to connect, accept and answer.
    public var timeout: Int = 10
    /// Where warnings go (Keras's `warnings.warn`); standard error by default.
    public var warn: (String) -> Void = { fputs("UserWarning: " + $0 + "\n", stderr) }

    private let host: String
    private let port: String
    private let target: String

    public init(root: String = "http://localhost:9000", path: String = "/publish/epoch/end/", field: String = "data",
                headers: [(String, String)] = [], sendAsJSON: Bool = false) throws {
        let url = root + path
        guard url.hasPrefix("http://") else {
            throw KerasError.invalidArgument("RemoteMonitor(root=\(root.debugDescription)): only http:// URLs can be posted to")
        }
        let rest = url.dropFirst(7)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard !authority.isEmpty else { throw KerasError.invalidArgument("RemoteMonitor(root=\(root.debugDescription)): no host") }
        let t = rest.dropFirst(authority.count)
        target = t.isEmpty ? "/" : (t.hasPrefix("/") ? String(t) : "/" + t)
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? String(after.dropFirst()) : "80"
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = String(authority[authority.index(after: colon)...])
        } else {
            host = String(authority)
            port = "80"
        }
        guard let p = Int(port), (1...65535).contains(p) else {
            throw KerasError.invalidArgument("RemoteMonitor(root=\(root.debugDescription)): bad port '\(port)'")
        }
        for (k, v) in headers where k.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" })
            || v.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw KerasError.invalidArgument("RemoteMonitor(headers=...): header \(k.debugDescription): \(v.debugDescription) holds a line break or a colon in its name")
        }
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.sendAsJSON = sendAsJSON
    }

    public override var wantsBatchLogs: Bool { false }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        let keys = orderedLogKeys(logs)
        if sendAsJSON, let bad = keys.first(where: { !(logs[$0]?.isFinite ?? true) }) {
            throw KerasError.invalidData("RemoteMonitor: Out of range float values are not JSON compliant (\(bad)=\(logs[bad] ?? .nan))")
        }
        let json = "{" + (["\"epoch\": \(epoch)"] + keys.map { k in "\(pythonJSONString(k)): \(pythonJSONFloat(logs[k] ?? .nan))" })
            .joined(separator: ", ") + "}"
        let body = sendAsJSON ? json : formEncoded(field) + "=" + formEncoded(json)
        let type = sendAsJSON ? "application/json" : "application/x-www-form-urlencoded"
        if !post(body: Array(body.utf8), contentType: type) {
            warn("Could not reach RemoteMonitor root server at \(root)")
        }
    }

    /// One HTTP/1.1 POST; true when the server answered with a status line.
    private func post(body: [UInt8], contentType: String) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        var address: UnsafeMutablePointer<addrinfo>? = first
        while let a = address {
            defer { address = a.pointee.ai_next }
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var tv = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            guard connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 else { continue }
            let hostHeader = host.contains(":") ? "[\(host)]" : host
            var head = "POST \(target) HTTP/1.1\r\nHost: \(hostHeader)\(port == "80" ? "" : ":" + port)\r\n"
            head += "User-Agent: swiftkeras\r\nAccept: */*\r\nConnection: close\r\n"
            head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
            for (k, v) in headers { head += "\(k): \(v)\r\n" }
            let request = Array((head + "\r\n").utf8) + body
            guard sendAll(fd, request) else { return false }
            var reply = [UInt8](repeating: 0, count: 4096), got = 0
            while got < 12 {
                let n = reply.withUnsafeMutableBytes { b in b.baseAddress.map { recv(fd, $0 + got, b.count - got, 0) } ?? -1 }
                if n <= 0 { break }
                got += n
            }
            return got >= 12 && reply.starts(with: Array("HTTP/".utf8))
        }
        return false
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { b in b.baseAddress.map { send(fd, $0 + sent, b.count - sent, Int32(MSG_NOSIGNAL)) } ?? -1 }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }
}

/// A float as Python's `json.dumps` writes it (`NaN`, `Infinity` for the non-finite).
func pythonJSONFloat(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
    let s: String = pythonFloat(v)
    return s.contains(where: { $0 == "." || $0 == "e" || $0 == "n" }) ? s : s + ".0"
}

/// A string as Python's `json.dumps` quotes it (non-ASCII as `\uXXXX`).
func pythonJSONString(_ s: String) -> String {
    var out = "\""
    for u in s.utf16 {
        switch u {
        case 0x22: out += "\\\""
        case 0x5C: out += "\\\\"
        case 0x0A: out += "\\n"
        case 0x0D: out += "\\r"
        case 0x09: out += "\\t"
        case 0x08: out += "\\b"
        case 0x0C: out += "\\f"
        case 0x20..<0x7F: out += String(UnicodeScalar(UInt8(u)))
        default:
            let h = String(u, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        }
    }
    return out + "\""
}

/// Python's `urllib.parse.quote_plus`: letters, digits and `_.-~` kept, spaces as `+`, the rest
/// of the UTF-8 bytes as `%XX`.
func formEncoded(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        switch b {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x5F, 0x2E, 0x2D, 0x7E: out += String(UnicodeScalar(b))
        case 0x20: out += "+"
        default:
            let h = String(b, radix: 16, uppercase: true)
            out += "%" + (h.count == 1 ? "0" + h : h)
        }
    }
    return out
}
