#if canImport(Glibc)
import Glibc
#endif

/// Which Keras generation's `summary()` table to print.
public enum SummaryStyle: Sendable {
    /// Keras 3: a box-drawn table with memory sizes.
    case keras3
    /// Keras 2 (≥ 2.9): a 65-column text table without thousands separators.
    case keras2
}

extension Model.SummaryRow {
    /// The row of a layer call: its output `shapes`, its weights' count (nil unbuilt).
    init(_ node: GraphNode, shapes: [[Int?]], connected: [String]) {
        self.init(layer: node.layer, shapes: shapes, connected: connected)
    }

    /// The row of `l` with output `shapes`.
    init(layer l: Layer, shapes: [[Int?]], connected: [String]) {
        self.init(name: "\(l.name) (\(l.className))", shape: Model.SummaryRow.format(shapes),
                  params: l.built ? (try? l.countParams()) ?? 0 : nil, connected: connected, layerName: l.name,
                  trainable: l.weights.isEmpty ? "-" : (l.trainable ? "Y" : "N"), shapes: shapes)
    }

    /// Output shapes as Keras prints them: one tuple, or a list of them; a tuple of one size
    /// without Python's trailing comma (`(None)`, a column of features: keras.io's structured
    /// data examples), as Keras's summary joins the sizes.
    static func format(_ shapes: [[Int?]]) -> String {
        func one(_ shape: [Int?]) -> String { "(" + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")" }
        return shapes.count == 1 ? one(shapes[0]) : "[" + shapes.map(one).joined(separator: ", ") + "]"
    }

    /// The row with `batch` as the first dimension of its output shapes (a row without shapes
    /// of its own, or with a "?" shape, as it is).
    func batched(_ batch: Int?) -> Model.SummaryRow {
        guard let shapes, shape != "?" else { return self }
        var row = self
        row.shape = Model.SummaryRow.format(shapes.map { $0.isEmpty ? $0 : [batch] + $0.dropFirst() })
        return row
    }

    /// The row with `shape` printed, and `type` as its class, where given.
    func showing(shape: String? = nil, type: String? = nil) -> Model.SummaryRow {
        var row = self
        if let shape { row.shape = shape }
        if let type { row.name = row.name.prefix(while: { $0 == " " || $0 == "└" }) + "\(layerName) (\(type))" }
        return row
    }
}

/// How Keras prints the rows of a summary's nested models where the library holds them
/// otherwise (``Model/summaryText(lineLength:positions:showTrainable:layerRange:subclassLayers:batchSize:unknownShapes:layerTypes:expandNested:nested:)``),
/// each keyed by the row's path: the layer names from the outer model's row down, joined by "/"
/// (`"mid/inner"`; Keras's layer names hold no "/").
public struct NestedSummary: Sendable {
    /// The class Keras prints for a nested subclassed model, which the library holds as its
    /// traced graph (`inner (Inner)`, not `inner (Functional)`).
    public var types: [String: String] = [:]
    /// Rows printed with "?": a subclassed model called inside another's call (no node and no
    /// build shapes in Keras).
    public var unknownShapes: Set<String> = []
    /// The batch that the rows under a nested model show as their first dimension: the batch
    /// its layers were built with (a subclassed model's layers built by an eager call on data,
    /// a Sequential built by its first call); where absent, its graph's.
    public var batchSizes: [String: Int] = [:]
    /// Rows that show their graph's shapes under a model whose rows show a batch (a nested
    /// Sequential with its own Input, a functional model: Keras prints its output shape).
    public var graphShapes: Set<String> = []

    public init(types: [String: String] = [:], unknownShapes: Set<String> = [], batchSizes: [String: Int] = [:],
                graphShapes: Set<String> = []) {
        self.types = types; self.unknownShapes = unknownShapes; self.batchSizes = batchSizes; self.graphShapes = graphShapes
    }
}

extension Model {
    /// The summary table as text. Keras: `model.summary()`.
    public func summaryText(style: SummaryStyle = .keras3, lineLength: Int? = nil) -> String {
        let rows = summaryRows()
        switch style {
        case .keras3: return keras3Summary(rows, width: lineLength ?? Model.defaultSummaryWidth(connected: !isSequentialLike))
        case .keras2: return keras2Summary(rows, width: lineLength ?? 65)
        }
    }

    /// The Keras 3 summary with `summary()`'s options: `positions` (column ends as fractions of the
    /// line), `showTrainable` (a Trainable column: Y, N, or - for layers without weights) and
    /// `layerRange` (the rows from the first layer whose name matches the first regular
    /// expression to the last one matching the second, as Keras's `re.match`).
    /// `subclassLayers` gives the rows of a subclassed model's summary as Keras prints it: one
    /// row per named layer (in that order, a layer's first call; no "Connected to" column),
    /// its output shape with `batchSize` as its first dimension (the batch the layer was built
    /// with, which Keras shows for a model built by a call on data), or "?" for the layers
    /// named in `unknownShapes` (custom layers Keras cannot tell the output shape of) and the
    /// layers Keras builds at init (``LayerDeclaration/builtAtInit``).
    /// `layerTypes` names the type Keras prints for a layer whose class the library does not
    /// hold (a nested subclassed model, which the library holds as its traced graph: Keras
    /// prints `sub (MySub)`, not `sub (Functional)`). `expandNested` lists under each nested
    /// model's row the rows of its layers (``nestedSummaryRows(_:level:path:nested:)``), as Keras's
    /// `expand_nested`; `nested` tells how Keras prints the rows of nested models where the
    /// library holds them otherwise (``NestedSummary``; its `graphShapes` naming one of
    /// `subclassLayers` keeps that row's graph shape rather than `batchSize`).
    public func summaryText(lineLength: Int? = nil, positions: [Double]? = nil, showTrainable: Bool = false,
                            layerRange: (String, String)? = nil, subclassLayers: [String]? = nil,
                            batchSize: Int? = nil, unknownShapes: Set<String> = [],
                            layerTypes: [String: String] = [:], expandNested: Bool = false,
                            nested: NestedSummary = NestedSummary()) throws -> String {
        var rows = try subclassLayers.map { try subclassSummaryRows($0, batchSize: batchSize, unknownShapes: unknownShapes,
                                                                    graphShapes: nested.graphShapes) }
            ?? summaryRows()
        if !layerTypes.isEmpty {
            let unknown = layerTypes.keys.filter { name in !rows.contains { $0.layerName == name } }.sorted()
            guard unknown.isEmpty else {
                throw KerasError.invalidArgument("summary: layer_types names \(unknown), which are not layers of model '\(name)' (layers: \(rows.map(\.layerName).joined(separator: ", ")))")
            }
            rows = rows.map { row in
                layerTypes[row.layerName].map { row.showing(type: $0) } ?? row
            }
        }
        if let (first, last) = layerRange {
            func matches(_ pattern: String) throws -> [Int] {
                let re: Regex<AnyRegexOutput>
                do { re = try Regex(pattern) } catch {
                    throw KerasError.invalidArgument("summary: layer_range pattern '\(pattern)' is not a regular expression: \(error)")
                }
                return rows.indices.filter { (try? re.prefixMatch(in: rows[$0].layerName)) != nil }
            }
            guard let lo = try matches(first).first, let hi = try matches(last).last, lo <= hi else {
                throw KerasError.invalidArgument("summary: layer_range \([first, last]) matches no layers of model '\(name)' (layers: \(rows.map(\.layerName).joined(separator: ", ")))")
            }
            rows = Array(rows[lo...hi])
        }
        if expandNested {
            rows = rows.flatMap { row -> [SummaryRow] in
                guard let inner = layers.first(where: { $0.name == row.layerName }) as? Model else { return [row] }
                return [row] + Model.nestedSummaryRows(inner, level: 1, path: row.layerName, nested: nested)
            }
        }
        let connected = subclassLayers == nil && !isSequentialLike
        var fractions = positions ?? (connected ? [0.3, 0.56, 0.74, 1.0] : [0.45, 0.80, 1.0])
        guard fractions.count == (connected ? 4 : 3) else {
            throw KerasError.invalidArgument("summary: positions needs \(connected ? 4 : 3) column ends for model '\(name)', got \(fractions.count)")
        }
        if showTrainable { fractions = fractions.map { $0 * 0.9 } + [1.0] }
        let width = lineLength ?? Model.defaultSummaryWidth(connected: connected, extra: showTrainable ? 12 : 0)
        var previous = 0
        for f in fractions {
            let end = Int(f * Double(width))
            guard end - previous >= 4 else { throw KerasError.invalidArgument("summary: insufficient width for the columns (positions \(fractions), line_length \(width))") }
            previous = end
        }
        return keras3Summary(rows, width: width, fractions: fractions, showTrainable: showTrainable, connected: connected)
    }

    /// Keras's `expand_nested` rows of a nested model: a row for each of its layers (a
    /// Sequential's, without its input; a functional model's, its InputLayers first; a
    /// subclassed model's, without the inputs its trace made), its name after three spaces a
    /// level and "└ ", its output shape in the nested model's graph, "-" connected (Keras
    /// connects only the outer model's calls); a model among them followed by its own rows.
    /// `path` is the nested model's row's (``NestedSummary``), whose entries `nested` applies.
    static func nestedSummaryRows(_ model: Model, level: Int, path: String, nested: NestedSummary) -> [SummaryRow] {
        let prefix = String(repeating: "   ", count: level) + "└ "
        let inputs = Set(model.executionOrder.filter { $0.layer is InputLayer }.map(\.layer.name))
        let batch = nested.batchSizes[path]
        return model.summaryRows().flatMap { row -> [SummaryRow] in
            if model.subclassAttributes != nil && inputs.contains(row.layerName) { return [] }
            let here = path + "/" + row.layerName
            var shown = row
            shown.name = prefix + row.name
            shown.connected = []
            if let batch, !nested.graphShapes.contains(here) { shown = shown.batched(batch) }
            shown = shown.showing(shape: nested.unknownShapes.contains(here) ? "?" : nil, type: nested.types[here])
            guard let inner = model.layers.first(where: { $0.name == row.layerName }) as? Model else { return [shown] }
            return [shown] + nestedSummaryRows(inner, level: level + 1, path: here, nested: nested)
        }
    }

    /// The rows of a subclassed model's summary (see `summaryText`).
    func subclassSummaryRows(_ names: [String], batchSize: Int?, unknownShapes: Set<String> = [],
                             graphShapes: Set<String> = []) throws -> [SummaryRow] {
        try names.map { name in
            guard let node = executionOrder.first(where: { $0.layer.name == name }) else {
                if let row = calledSummaryRow(name, batchSize: batchSize, unknownShapes: unknownShapes) { return row }
                throw KerasError.invalidArgument("summary: model '\(self.name)' has no layer '\(name)' in its graph")
            }
            var row = SummaryRow(node, shapes: node.outputShapes, connected: [])
            if !graphShapes.contains(name) {
                row = row.batched(batchSize)
            } else if node.outputShapes.count > 1 {
                // Keras prints a held model's `output_shape`, its list of shapes joined inside
                // one pair of parentheses: `((None, 2), (None, 2))` (keras.io's VAE encoder)
                row = row.showing(shape: "(" + node.outputShapes.map { SummaryRow.format([$0]) }.joined(separator: ", ") + ")")
            }
            // Keras prints "?" where it has no shape to show: a custom layer that cannot compute
            // its output shape, and a layer built at init (Dropout, Activation: no build, so no
            // build shapes, and no node in a subclassed model).
            guard unknownShapes.contains(name) || node.layer.declaration?.builtAtInit == true else { return row }
            return row.showing(shape: "?")
        }
    }

    /// The row of layer `name` that a layer of the graph calls in its traced call rather than
    /// the graph itself (a subclassed model whose whole call is one traced layer: keras.io's GNN
    /// node classifier calls its layers on the graph it holds): its first call's output shape
    /// there, `batchSize` on the axes that follow the batch, as Keras shows the shapes its layers
    /// were built with; "?" as in ``subclassSummaryRows(_:batchSize:unknownShapes:graphShapes:)``.
    func calledSummaryRow(_ name: String, batchSize: Int?, unknownShapes: Set<String>) -> SummaryRow? {
        for node in executionOrder {
            guard let graph = (node.layer as? CallbackLayer)?.graph,
                  let layer = graph.sublayers.first(where: { $0.layer.name == name })?.layer,
                  let shapes = graph.callOutputShapes(of: name) else { continue }
            let row = SummaryRow(layer: layer, shapes: shapes.map { $0.map { $0 ?? batchSize } }, connected: [])
            return unknownShapes.contains(name) || layer.declaration?.builtAtInit == true ? row.showing(shape: "?") : row
        }
        return nil
    }

    /// `body`'s result with the model's and some layers' `trainable` flags set as given (each
    /// setting its sublayers' and weights', as Keras's setter does), every flag restored after:
    /// the summary of a model whose flags a binding changed since it made this model (Keras's
    /// summary counts the current flags; the change reaches training at the next compile).
    public func withTrainableFlags<T>(model flag: Bool?, layers flags: [String: Bool], _ body: () throws -> T) throws -> T {
        let unknown = flags.keys.filter { name in !layers.contains { $0.name == name } }.sorted()
        guard unknown.isEmpty else {
            throw KerasError.invalidArgument("summary: model '\(name)' has no layer \(unknown)")
        }
        var saved: [(Layer, Bool)] = [], savedWeights: [(Variable, Bool)] = []
        func snapshot(_ l: Layer) {
            saved.append((l, l.trainable))
            savedWeights += l.variables.map { ($0, $0.trainable) }
            (l as? Model)?.layers.forEach(snapshot)
            l.sublayers.forEach(snapshot)
        }
        snapshot(self)
        defer {
            for (l, t) in saved { l.trainable = t }   // outer layers first: inner ones set last win
            for (v, t) in savedWeights { v.trainable = t }
        }
        if let flag { trainable = flag }
        for l in layers { if let f = flags[l.name] { l.trainable = f } }
        return try body()
    }

    /// Prints the summary table. Keras: `model.summary()`.
    public func summary(style: SummaryStyle = .keras3, lineLength: Int? = nil, print output: (String) -> Void = writeStdout) {
        output(summaryText(style: style, lineLength: lineLength))
    }

    struct SummaryRow {
        var name: String; var shape: String; let params: Int?; var connected: [String]
        var layerName = ""
        /// Y, N, or - for a layer without weights (summary's show_trainable).
        var trainable = "-"
        /// The output shapes `shape` prints, where the row has them (a row of a layer call).
        var shapes: [[Int?]]? = nil
    }

    /// Keras's rule: at most one layer call per depth from the outputs, none with several input
    /// tensors, and no layer called twice (a layer with several outputs still qualifies).
    var isSequentialLike: Bool {
        if self is Sequential { return true }
        var depth: [ObjectIdentifier: Int] = [:]
        for node in executionOrder.reversed() {
            let d = depth[ObjectIdentifier(node), default: 0]
            for t in node.inputs {
                guard let parent = t.node else { continue }
                depth[ObjectIdentifier(parent)] = Swift.max(depth[ObjectIdentifier(parent)] ?? 0, d + 1)
            }
        }
        var depthsSeen = Set<Int>(), layersSeen = Set<ObjectIdentifier>()
        return executionOrder.allSatisfy { node in
            node.inputs.count <= 1 && depthsSeen.insert(depth[ObjectIdentifier(node), default: 0]).inserted
                && layersSeen.insert(ObjectIdentifier(node.layer)).inserted
        }
    }

    func summaryRows() -> [SummaryRow] {
        let showInputs = !(self is Sequential)
        var rows: [SummaryRow] = []
        var nodes: [GraphNode] = executionOrder
        if nodes.isEmpty {
            return layers.map {
                SummaryRow(name: "\($0.name) (\($0.className))", shape: "?", params: $0.built ? (try? $0.countParams()) : nil, connected: [],
                           layerName: $0.name, trainable: $0.weights.isEmpty ? "-" : ($0.trainable ? "Y" : "N"))
            }
        }
        if !showInputs { nodes = nodes.filter { !($0.layer is InputLayer) } }
        // One row per layer, as Keras: a shared layer (called on several inputs) lists every
        // call's inputs, with the shape of its last call; a call's masks given as arguments
        // (`GRU(16)(x, mask=m)`, or recorded for it as Keras does) are among its inputs, as in
        // Keras's node.input_tensors.
        var rowOfLayer: [ObjectIdentifier: Int] = [:]
        for node in nodes {
            let connected = node.dependencies.map { kt -> String in
                let idx = kt.node?.index ?? 0
                return "\(kt.layer?.name ?? kt.name)[\(idx)][\(kt.tensorIndex)]"
            }
            if let i = rowOfLayer[ObjectIdentifier(node.layer)] {
                rows[i] = SummaryRow(node, shapes: node.outputShapes, connected: rows[i].connected + connected)
                continue
            }
            rowOfLayer[ObjectIdentifier(node.layer)] = rows.count
            rows.append(SummaryRow(node, shapes: node.outputShapes, connected: connected))
        }
        // In the order of `layers` and the operations between them (Keras's summary lists
        // model._operations).
        let rank = Dictionary((operationList.isEmpty ? layers : operationList).enumerated().map { (ObjectIdentifier($0.element), $0.offset) },
                              uniquingKeysWith: { first, _ in first })
        let ranked = rowOfLayer.map { (rank[$0.key] ?? Int.max, $0.value) }.sorted { $0 < $1 }
        return ranked.map { rows[$0.1] }
    }

    /// Keras's default: at most 88 columns (108 with "Connected to"), and 4 fewer than the
    /// terminal (`$COLUMNS`, the tty's width, or 80 as Python's `shutil` falls back).
    static func defaultSummaryWidth(connected: Bool = false, extra: Int = 0) -> Int {
        var columns = 80
        if let env = getenv("COLUMNS"), let c = Int(String(cString: env)), c > 0 {
            columns = c
        } else if isatty(STDOUT_FILENO) != 0 {
            var ws = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { columns = Int(ws.ws_col) }
        }
        return Swift.min((connected ? 108 : 88) + extra, columns - 4)
    }

    /// Content widths of the summary's columns as Keras asks rich for them (`int(position *
    /// line_length)` steps) and as rich shrinks them to fit the table width: the excess is taken
    /// from every column in turn, rounding half to even (rich's `ratio_reduce`).
    static func richColumnWidths(fractions: [Double], lineLength: Int) -> [Int] {
        var widths: [Int] = []
        var current = 0
        for f in fractions {
            let w = Int(f * Double(lineLength)) - current
            widths.append(w + 2)
            current += w
        }
        let available = lineLength - (fractions.count + 1)
        var excess = widths.reduce(0, +) - available
        if excess > 0 {
            var remainingRatio = widths.count
            for i in widths.indices {
                let share = (Double(excess) / Double(remainingRatio)).rounded(.toNearestOrEven)
                let cut = Swift.min(widths[i], Int(share))
                widths[i] -= cut
                excess -= cut
                remainingRatio -= 1
            }
        }
        return widths.map { Swift.max($0 - 2, 1) }
    }

    /// A cell's text as rich lays it out in Keras's summary columns (overflow "ellipsis"):
    /// words wrap at spaces, and a word wider than the column stands on its own line cut to
    /// the width with "…" (`batch_normalizatio…`), never folded onto the next line. Leading
    /// spaces (an expanded nested layer's indent) stay with the first word, as rich keeps them.
    static func richWrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var words = text.split(separator: " ").map(String.init)
        let indent = String(text.prefix { $0 == " " })
        if !indent.isEmpty, !words.isEmpty { words[0] = indent + words[0] }
        for word in words {
            let fitted = word.count > width ? String(word.prefix(Swift.max(width - 1, 0))) + "…" : String(word)
            if let last = lines.last, last.count + 1 + fitted.count <= width, word.count <= width {
                lines[lines.count - 1] = last + " " + fitted
            } else {
                lines.append(fitted)
            }
        }
        return lines.isEmpty ? [""] : lines
    }

    var paramCounts: (total: Int, trainable: Int, nonTrainable: Int) {
        let t = trainableWeights.reduce(0) { $0 + $1.count }
        let n = nonTrainableWeights.reduce(0) { $0 + $1.count }
        return (t + n, t, n)
    }

    /// The bytes of the trainable and non-trainable weights, each in its dtype (Keras's
    /// `weight_memory_size`: an int8 kernel counts one byte a value).
    var paramBytes: (total: Int, trainable: Int, nonTrainable: Int) {
        func bytes(_ ws: [Variable]) -> Int { ws.reduce(0) { $0 + $1.count * ($1.dtype == .int8 || $1.dtype == .uint8 ? 1 : 4) } }
        let t = bytes(trainableWeights), n = bytes(nonTrainableWeights)
        return (t + n, t, n)
    }

    func keras3Summary(_ rows: [SummaryRow], width: Int, fractions custom: [Double]? = nil, showTrainable: Bool = false,
                       connected: Bool? = nil) -> String {
        let connectedColumn = connected ?? !isSequentialLike
        let total = width
        let fractions: [Double] = custom ?? (connectedColumn ? [0.3, 0.56, 0.74, 1.0] : [0.45, 0.80, 1.0])
        let inner = Model.richColumnWidths(fractions: fractions, lineLength: total)
        func cell(_ s: String, _ w: Int, right: Bool = false) -> [String] {
            Model.richWrap(s, width: w).map { right ? String(repeating: " ", count: Swift.max(0, w - $0.count)) + $0 : $0 + String(repeating: " ", count: Swift.max(0, w - $0.count)) }
        }
        func line(_ l: String, _ m: String, _ r: String, _ fill: String) -> String {
            l + inner.map { String(repeating: fill, count: $0 + 2) }.joined(separator: m) + r + "\n"
        }
        /// rich's "center": the extra space goes right when it is odd.
        func centered(_ s: String, _ w: Int) -> [String] {
            let pad = Swift.max(0, w - s.count)
            return [String(repeating: " ", count: pad / 2) + s + String(repeating: " ", count: pad - pad / 2)]
        }
        let trainableColumn = showTrainable ? inner.count - 1 : -1
        func row(_ cols: [String], sep: String, rightLast: Bool) -> String {
            let cells = cols.enumerated().map { i, c in
                i == trainableColumn ? centered(c, inner[i]) : cell(c, inner[i], right: rightLast && i == 2)
            }
            let h = cells.map(\.count).max() ?? 1
            var out = ""
            for k in 0..<h {
                let parts = cells.enumerated().map { i, c in k < c.count ? c[k] : String(repeating: " ", count: inner[i]) }
                out += sep + " " + parts.joined(separator: " " + sep + " ") + " " + sep + "\n"
            }
            return out
        }
        var out = "Model: \"\(name)\"\n"
        out += line("┏", "┳", "┓", "━")
        var header = ["Layer (type)", "Output Shape", "Param #"]
        if connectedColumn { header.append("Connected to") }
        if showTrainable { header.append("Trainable") }
        // Short header cells sit at the bottom of the header row.
        let hc: [[String]] = header.enumerated().map { i, title in
            let w = inner[i]
            return Model.richWrap(title, width: w).map { l in
                if i == trainableColumn { return centered(l, w)[0] }
                let pad = String(repeating: " ", count: Swift.max(0, w - l.count))
                return i == 2 ? pad + l : l + pad
            }
        }
        let headerHeight = hc.map(\.count).max() ?? 1
        for k in 0..<headerHeight {
            let parts = hc.enumerated().map { i, lines -> String in
                let offset = headerHeight - lines.count
                return k >= offset ? lines[k - offset] : String(repeating: " ", count: inner[i])
            }
            out += "┃ " + parts.joined(separator: " ┃ ") + " ┃\n"
        }
        out += line("┡", "╇", "┩", "━")
        for (i, r) in rows.enumerated() {
            var cols = [r.name, r.shape, r.params.map(groupThousands) ?? "0 (unbuilt)"]
            if connectedColumn { cols.append(r.connected.isEmpty ? "-" : r.connected.joined(separator: ", ")) }
            if showTrainable { cols.append(r.trainable) }
            out += row(cols, sep: "│", rightLast: true)
            if i < rows.count - 1 { out += line("├", "┼", "┤", "─") }
        }
        out += line("└", "┴", "┘", "─")
        let p = paramCounts
        var totalCount = p.total
        var optimizerCount = 0
        if let opt = compiled?.optimizer, opt.isBuilt {
            optimizerCount = opt.variableScalarCount
            totalCount += optimizerCount
        }
        let b = paramBytes
        out += " Total params: \(groupThousands(totalCount)) (\(formatBytes(b.total + optimizerCount * 4)))\n"
        out += " Trainable params: \(groupThousands(p.trainable)) (\(formatBytes(b.trainable)))\n"
        out += " Non-trainable params: \(groupThousands(p.nonTrainable)) (\(formatBytes(b.nonTrainable)))\n"
        if optimizerCount > 0 {
            out += " Optimizer params: \(groupThousands(optimizerCount)) (\(formatBytes(optimizerCount * 4)))\n"
        }
        return out
    }

    func keras2Summary(_ rows: [SummaryRow], width: Int) -> String {
        let connectedColumn = !isSequentialLike
        let w = connectedColumn ? Swift.max(width, 98) : width
        let positions = (connectedColumn ? [0.33, 0.55, 0.67, 1.0] : [0.45, 0.85, 1.0]).map { Int(Double(w) * $0) }
        func fields(_ cols: [String]) -> String {
            var line = ""
            for (i, c) in cols.enumerated() {
                if i > 0 { line = String(line.dropLast()) + " " }
                line += i == 0 ? " " + c : c
                line = String(line.prefix(positions[i] - 1))
                line += String(repeating: " ", count: Swift.max(0, positions[i] - line.count))
            }
            return line + "\n"
        }
        var header = ["Layer (type)", "Output Shape", "Param #"]
        if connectedColumn { header.append("Connected to") }
        var out = "Model: \"\(name)\"\n" + String(repeating: "_", count: w) + "\n"
        out += fields(header)
        out += String(repeating: "=", count: w) + "\n"
        for r in rows {
            var cols = [r.name, r.shape, r.params.map(String.init) ?? "0 (unbuilt)"]
            if connectedColumn { cols.append(r.connected.joined(separator: ", ")) }
            out += fields(cols)
            out += String(repeating: " ", count: w) + "\n"
        }
        let p = paramCounts
        out += String(repeating: "=", count: w) + "\n"
        let b = paramBytes
        out += "Total params: \(p.total) (\(formatBytes(b.total, byteUnit: "Byte")))\n"
        out += "Trainable params: \(p.trainable) (\(formatBytes(b.trainable, byteUnit: "Byte")))\n"
        out += "Non-trainable params: \(p.nonTrainable) (\(formatBytes(b.nonTrainable, byteUnit: "Byte")))\n"
        out += String(repeating: "_", count: w) + "\n"
        return out
    }
}

/// `101770` → `101,770`.
func groupThousands(_ n: Int) -> String {
    let s = String(Swift.abs(n))
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return n < 0 ? "-" + out : out
}

/// `397.54 KB`, base 1024, as Keras prints parameter memory.
func formatBytes(_ bytes: Int, byteUnit: String = "B") -> String {
    let units = [byteUnit, "KB", "MB", "GB", "TB"]
    var v = Double(bytes)
    var u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return cFormat("%.2f", v) + " " + units[u]
}
