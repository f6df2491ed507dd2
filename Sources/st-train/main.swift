// st-train: placeholder until issue 4 builds it. It does nothing and says so (exit 1).
import ArgumentParser
import ToolSupport

struct STTrain: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-train",
        abstract: "Train or fine-tune a transformer (not built yet).",
        discussion: """
        This tool is not built yet (issue 4). It accepts any arguments, does nothing, and exits with status 1.

        EXIT STATUS:
          1   always: not built yet
        """)

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Ignored.", valueName: "args"))
    var args: [String] = []

    func run() throws { throw ToolError("not built yet (issue 4); nothing was done") }
}

STTrain.runTool()
