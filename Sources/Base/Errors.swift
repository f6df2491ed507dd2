// The user-facing error types every tool reports as one line (ToolSupport prints them as `tool: message`).

/// An error in the data, located in its input: prints as `file:line:column: message`.
public struct DataError: Error, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int?
    public var message: String
    public init(file: String, line: Int, column: Int? = nil, message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }
    public var description: String {
        if let c = column { return "\(file):\(line):\(c): \(message)" }
        return "\(file):\(line): \(message)"
    }
}

/// An error in how a tool was asked to do something (a bad path, expression or option value), or in a file
/// it was pointed at (unreadable, unwritable).
public struct ToolInputError: Error, CustomStringConvertible {
    public var description: String
    public init(_ message: String) { description = message }
}
