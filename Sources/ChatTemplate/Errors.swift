// Errors name the template place the way compilers do: `chat template:LINE:COLUMN: message`.

public struct ChatTemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable {
        /// The template does not parse.
        case syntax
        /// The template uses a construct (filter, test, tag, method) this renderer does not implement.
        case unsupported
        /// Evaluation failed (type error, undefined variable used, ...), as jinja2 would have raised.
        case runtime
        /// The template called raise_exception(message); `message` is exactly its argument.
        case raised
    }
    public let kind: Kind
    /// 1-based line and column (in Unicode scalars) in the template source; 0 when not tied to a place.
    public let line: Int
    public let column: Int
    public let message: String

    public init(_ kind: Kind, line: Int, column: Int, _ message: String) {
        self.kind = kind; self.line = line; self.column = column; self.message = message
    }

    public var description: String {
        let place = line > 0 ? "chat template:\(line):\(column): " : "chat template: "
        return kind == .raised ? place + "raise_exception: " + message : place + message
    }
}

/// Errors raised while evaluating, before they get a place; the evaluator attaches the node's position.
struct EvalError: Error {
    let kind: ChatTemplateError.Kind
    let message: String
    init(_ message: String, _ kind: ChatTemplateError.Kind = .runtime) { self.message = message; self.kind = kind }
}

/// Offsets (in Unicode scalars) into the normalized source; turned into line:column only for messages.
typealias Pos = Int

struct SourceMap {
    private var lineStarts: [Int] = [0]
    init(_ scalars: [Unicode.Scalar]) {
        for (i, c) in scalars.enumerated() where c == "\n" { lineStarts.append(i + 1) }
    }
    func lineColumn(_ pos: Pos) -> (Int, Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= pos { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, pos - lineStarts[lo] + 1)
    }
    func error(_ kind: ChatTemplateError.Kind, _ pos: Pos, _ message: String) -> ChatTemplateError {
        let (l, c) = lineColumn(pos)
        return ChatTemplateError(kind, line: l, column: c, message)
    }
}
