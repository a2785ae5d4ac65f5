/// One subcommand of the `swiftkeras` tool.
protocol Subcommand {
    /// The word that selects it (`demo`, `summary`).
    var name: String { get }
    /// One line for the usage text.
    var summary: String { get }
    func run(_ arguments: [String]) throws
}

/// Subcommands defined in other files of this target (saving: `summary`, `convert`; ...).
/// Add new ones here.
let extraCommands: [Subcommand] = [SummaryCommand(), ConvertCommand()]
