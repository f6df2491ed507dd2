// The parsed template: statements (Node) over expressions (Expr), each carrying its source offset.

struct Expr {
    indirect enum Kind {
        case literal(Val)
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case dict([(Expr, Expr)])
        case attr(Expr, String)
        case item(Expr, Expr)
        case slice(Expr?, Expr?, Expr?)
        case call(Expr, Args)
        case filter(Expr, FilterCall)
        case test(Expr, name: String, args: Args, negated: Bool)
        case neg(Expr), pos(Expr), not(Expr)
        case binary(String, Expr, Expr)  // + - * / // % **
        case concat([Expr])
        case compare(Expr, [(String, Expr)])  // == != < <= > >= in notin
        case and(Expr, Expr), or(Expr, Expr)
        case cond(test: Expr, then: Expr, else: Expr?)
    }
    let kind: Kind
    let pos: Pos
}

struct Args {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
}

struct FilterCall {
    let name: String
    let args: Args
    let pos: Pos
}

indirect enum Target {
    case name(String)
    case tuple([Target])
    case namespaceAttr(String, String)
}

final class MacroDef {
    let name: String
    let params: [(String, Expr?)]
    let body: [Node]
    init(name: String, params: [(String, Expr?)], body: [Node]) { self.name = name; self.params = params; self.body = body }
}

struct ForLoop {
    let target: Target
    let iterable: Expr
    let condition: Expr?
    let body: [Node]
    let elseBody: [Node]
}

indirect enum Node {
    case text(String)
    case output(Expr)
    case ifChain([(Expr, [Node])], elseBody: [Node])
    case forLoop(ForLoop, Pos)
    case set(Target, Expr, Pos)
    case setBlock(Target, [Node], [FilterCall], Pos)
    case macro(MacroDef)
    case filterBlock([FilterCall], [Node])
    case with([(Target, Expr)], [Node], Pos)
    case loopBreak, loopContinue
    /// transformers' {% generation %} block: renders its body (the span tracking is not needed here).
    case generation([Node])
}
