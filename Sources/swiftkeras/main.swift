import Foundation
import Keras

// The `swiftkeras` command line. Each subcommand lives in its own file and is listed here.
let commands: [Subcommand] = [DemoCommand()] + extraCommands

let args = Array(CommandLine.arguments.dropFirst())
guard let name = args.first, let command = commands.first(where: { $0.name == name }) else {
    var usage = "usage: swiftkeras <command> [arguments]\n\ncommands:\n"
    for c in commands { usage += "  \(c.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(c.summary)\n" }
    FileHandle.standardError.write(Data(usage.utf8))
    exit(args.isEmpty || args.first == "help" || args.first == "--help" ? 0 : 2)
}
do {
    try command.run(Array(args.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("swiftkeras \(name): \(error)\n".utf8))
    exit(1)
}
