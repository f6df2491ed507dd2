// st-sample: placeholder until issue 5 builds it. It does nothing and says so (exit 1).
import ArgumentParser
import ToolSupport

struct STSample: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-sample",
        abstract: "Sample candidate solutions from a model (not built yet).",
        discussion: """
        This tool is not built yet (issue 5). It accepts any arguments, does nothing, and exits with status 1.

        EXIT STATUS:
          1   always: not built yet
        """)

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Ignored.", valueName: "args"))
    var args: [String] = []

    func run() throws { throw ToolError("not built yet (issue 5); nothing was done") }
}

STSample.runTool()
