#if canImport(Glibc)
import Glibc
#endif

/// Redraws the training curves as an SVG file at the end of every epoch: one panel per figure
/// (loss first, then each metric), training and validation against the epoch number.
/// Keras users plot `history.history` with matplotlib; this writes the picture without Python.
///
/// ```swift
/// try model.fit(x, y, epochs: 50, callbacks: [try PlotHistory("curves.svg")], validationSplit: 0.2)
/// // or afterwards: try history.plotSVG(to: "curves.svg")
/// ```
public final class PlotHistory: Callback, @unchecked Sendable {
    public let path: String
    public let title: String?
    private var epochs: [Int] = []
    private var figures: [String: [Double]] = [:]

    public init(_ path: String, title: String? = nil) throws {
        guard !path.isEmpty else { throw KerasError.invalidArgument("PlotHistory(path: \"\"): a file name is required") }
        self.path = path
        self.title = title
    }

    public override var wantsBatchLogs: Bool { false }

    public override func onTrainBegin(logs: Logs) throws {
        epochs = []
        figures = [:]
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        let seen = epochs.count
        epochs.append(epoch)
        for (k, v) in logs {
            if figures[k] == nil { figures[k] = Array(repeating: .nan, count: seen) }
            figures[k]?.append(v)
        }
        for k in figures.keys where figures[k]!.count < epochs.count { figures[k]?.append(.nan) }
        try writeText(historySVG(figures, epochs: epochs, title: title), to: path)
    }
}

extension History {
    /// The training curves as SVG text: a panel per figure, training and validation lines.
    public func svg(title: String? = nil) -> String { historySVG(history, epochs: epoch, title: title) }

    /// Writes ``svg(title:)`` to `path`.
    public func plotSVG(to path: String, title: String? = nil) throws {
        try writeText(svg(title: title), to: path)
    }
}

/// Writes a whole text file, replacing it.
func writeText(_ text: String, to path: String) throws {
    guard let f = fopen(path, "w") else {
        throw KerasError.io("cannot open '\(path)' for writing: \(String(cString: strerror(errno)))")
    }
    defer { fclose(f) }
    guard fputs(text, f) >= 0 else { throw KerasError.io("cannot write '\(path)': \(String(cString: strerror(errno)))") }
}

/// Draws figures against epochs (0-based in `epochs`, shown 1-based as Keras prints them).
func historySVG(_ figures: [String: [Double]], epochs: [Int], title: String?) -> String {
    let names = Set(figures.keys.map { $0.hasPrefix("val_") ? String($0.dropFirst(4)) : $0 })
        .sorted { a, b in a == "loss" ? b != "loss" : (b == "loss" ? false : a < b) }
    let panelW = 440.0, panelH = 290.0, columns = names.count > 1 ? 2 : 1
    let rows = Swift.max(1, (names.count + columns - 1) / columns)
    let top = title == nil ? 10.0 : 40.0
    let width = panelW * Double(columns), height = top + panelH * Double(rows)
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    if let title { s += "<text x=\"\(fmt(width / 2))\" y=\"26\" font-size=\"18\" text-anchor=\"middle\">\(xmlEscape(title))</text>\n" }
    if names.isEmpty {
        s += "<text x=\"20\" y=\"\(fmt(top + 30))\" font-size=\"14\" fill=\"#555\">No epochs recorded</text>\n</svg>\n"
        return s
    }
    let xs = epochs.map { Double($0 + 1) }
    for (i, name) in names.enumerated() {
        let ox = Double(i % columns) * panelW, oy = top + Double(i / columns) * panelH
        s += panelSVG(name: name, train: figures[name], val: figures["val_" + name], xs: xs,
                      frame: (ox + 62, oy + 34, panelW - 84, panelH - 82))
    }
    return s + "</svg>\n"
}

/// One panel: frame, ticks, grid, lines and legend inside `frame` (x, y, width, height).
private func panelSVG(name: String, train: [Double]?, val: [Double]?, xs: [Double],
                      frame: (x: Double, y: Double, w: Double, h: Double)) -> String {
    let values = (train ?? []) + (val ?? [])
    let finite = values.filter(\.isFinite)
    var lo = finite.min() ?? 0, hi = finite.max() ?? 1
    if hi - lo < 1e-12 { lo -= 0.5 * Swift.max(Swift.abs(lo), 1e-3); hi += 0.5 * Swift.max(Swift.abs(hi), 1e-3) }
    let pad = (hi - lo) * 0.06
    lo -= pad; hi += pad
    let x0 = xs.first ?? 1, x1 = Swift.max(xs.last ?? 1, x0 + 1)
    func px(_ x: Double) -> Double { frame.x + (x - x0) / (x1 - x0) * frame.w }
    func py(_ y: Double) -> Double { frame.y + frame.h - (y - lo) / (hi - lo) * frame.h }

    var s = "<g>\n<text x=\"\(fmt(frame.x + frame.w / 2))\" y=\"\(fmt(frame.y - 12))\" font-size=\"15\" text-anchor=\"middle\" font-weight=\"bold\">\(xmlEscape(name))</text>\n"
    for t in niceTicks(lo, hi) {
        let y = py(t)
        s += "<line x1=\"\(fmt(frame.x))\" y1=\"\(fmt(y))\" x2=\"\(fmt(frame.x + frame.w))\" y2=\"\(fmt(y))\" stroke=\"#e5e5e5\"/>\n"
        s += "<text x=\"\(fmt(frame.x - 6))\" y=\"\(fmt(y + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#333\">\(tickLabel(t))</text>\n"
    }
    for t in niceTicks(x0, x1, integers: true) {
        let x = px(t)
        s += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(frame.y + frame.h))\" x2=\"\(fmt(x))\" y2=\"\(fmt(frame.y + frame.h + 4))\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(fmt(x))\" y=\"\(fmt(frame.y + frame.h + 17))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">\(tickLabel(t))</text>\n"
    }
    s += "<rect x=\"\(fmt(frame.x))\" y=\"\(fmt(frame.y))\" width=\"\(fmt(frame.w))\" height=\"\(fmt(frame.h))\" fill=\"none\" stroke=\"#333\"/>\n"
    s += "<text x=\"\(fmt(frame.x + frame.w))\" y=\"\(fmt(frame.y + frame.h + 34))\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">epoch</text>\n"

    var legend: [(String, String, Bool)] = []
    for (series, color, dashed, label) in [(train, "#1f77b4", false, "training"), (val, "#ff7f0e", true, "validation")] {
        guard let series else { continue }
        legend.append((label, color, dashed))
        var segment: [String] = []
        var marks = ""
        func flush() {
            if segment.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(segment.joined(separator: " "))\"/>\n"
            }
            segment = []
        }
        for (x, y) in zip(xs, series) {
            guard y.isFinite else { flush(); continue }
            segment.append("\(fmt(px(x))),\(fmt(py(y)))")
            if xs.count <= 40 { marks += "<circle cx=\"\(fmt(px(x)))\" cy=\"\(fmt(py(y)))\" r=\"2.5\" fill=\"\(color)\"/>\n" }
        }
        flush()
        s += marks
    }
    for (i, (label, color, dashed)) in legend.enumerated() {
        let lx = frame.x + Double(i) * 100, ly = frame.y + frame.h + 30
        s += "<line x1=\"\(fmt(lx))\" y1=\"\(fmt(ly))\" x2=\"\(fmt(lx + 22))\" y2=\"\(fmt(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
        s += "<text x=\"\(fmt(lx + 28))\" y=\"\(fmt(ly + 4))\" font-size=\"11\" fill=\"#333\">\(label)</text>\n"
    }
    return s + "</g>\n"
}

/// About five round tick values (1, 2 or 5 times a power of ten) covering [lo, hi].
func niceTicks(_ lo: Double, _ hi: Double, integers: Bool = false) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
    let raw = (hi - lo) / 5
    let magnitude = pow(10, floor(log10(raw)))
    var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    if integers { step = Swift.max(1, step.rounded()) }
    var ticks: [Double] = []
    var t = (lo / step).rounded(.up) * step
    while t <= hi + step * 1e-9 && ticks.count < 50 {
        ticks.append(Swift.abs(t) < step * 1e-9 ? 0 : t)
        t += step
    }
    return ticks
}

private func tickLabel(_ v: Double) -> String { cFormat("%g", v) }
private func fmt(_ v: Double) -> String { cFormat("%.1f", v) }

func xmlEscape(_ s: String) -> String {
    s.replacingAll("&", with: "&amp;").replacingAll("<", with: "&lt;").replacingAll(">", with: "&gt;").replacingAll("\"", with: "&quot;")
}
