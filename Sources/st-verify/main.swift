// st-verify: placeholder until issue 6 builds it. It does nothing and says so (exit 1).
import ArgumentParser
import ToolSupport

struct STVerify: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "st-verify",
        abstract: "Verify candidate solutions (not built yet).",
        discussion: """
        This tool is not built yet (issue 6). It accepts any arguments, does nothing, and exits with status 1.

        EXIT STATUS:
          1   always: not built yet
        """)

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Ignored.", valueName: "args"))
    var args: [String] = []

    func run() throws { throw ToolError("not built yet (issue 6); nothing was done") }
}

STVerify.runTool()
