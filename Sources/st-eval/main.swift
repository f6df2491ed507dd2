// st-eval: placeholder until issue 7 builds it. It does nothing and says so (exit 1).
import ArgumentParser
import ToolSupport

struct STEval: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-eval",
        abstract: "Compute self-training metrics (not built yet).",
        discussion: """
        This tool is not built yet (issue 7). It accepts any arguments, does nothing, and exits with status 1.

        EXIT STATUS:
          1   always: not built yet
        """)

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Ignored.", valueName: "args"))
    var args: [String] = []

    func run() throws { throw ToolError("not built yet (issue 7); nothing was done") }
}

STEval.runTool()
