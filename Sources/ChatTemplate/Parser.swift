// A recursive-descent parser following jinja2's grammar (parser.py) for the subset chat templates use.
// Total: every input gives a tree or a ChatTemplateError, never a trap; nesting is bounded by maxDepth.

struct Parser {
    private let toks: [Token]
    private let map: SourceMap
    private var k = 0
    private var depth = 0
    private var loopDepth = 0
    static let maxDepth = 200

    init(_ tokens: [Token], _ map: SourceMap) { toks = tokens; self.map = map }

    private var cur: Token { toks[k] }
    private func peek(_ n: Int = 1) -> Token { toks[min(k + n, toks.count - 1)] }
    private mutating func next() -> Token { let t = toks[k]; if k < toks.count - 1 { k += 1 }; return t }

    private func fail(_ msg: String, _ t: Token? = nil) -> ChatTemplateError { map.error(.syntax, (t ?? cur).pos, msg) }
    private func unsupported(_ msg: String, _ t: Token) -> ChatTemplateError { map.error(.unsupported, t.pos, msg) }

    private func isOp(_ o: String, _ t: Token? = nil) -> Bool { (t ?? cur).kind == .op(o) }
    private func isName(_ n: String, _ t: Token? = nil) -> Bool { (t ?? cur).kind == .name(n) }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .data: return "template data"
        case .blockBegin: return "begin of statement block"
        case .blockEnd: return "end of statement block"
        case .varBegin: return "begin of print statement"
        case .varEnd: return "end of print statement"
        case .name(let n): return n
        case .string: return "string"
        case .int: return "integer"
        case .float: return "float"
        case .op(let o): return o
        case .eof: return "end of template"
        }
    }

    private mutating func expectOp(_ o: String) throws {
        guard isOp(o) else { throw fail("expected '\(o)', got '\(describe(cur))'") }
        _ = next()
    }
    private mutating func expectBlockEnd() throws {
        guard cur.kind == .blockEnd else { throw fail("expected end of statement block, got '\(describe(cur))'") }
        _ = next()
    }
    private mutating func expectName() throws -> String {
        guard case .name(let n) = cur.kind else { throw fail("expected a name, got '\(describe(cur))'") }
        _ = next()
        return n
    }

    /// One more level of a left-nested chain (a + b + c, x.a.b, x|f|g): the tree gets deeper too.
    private mutating func deeper(_ levels: inout Int) throws {
        try enter()
        levels += 1
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Parser.maxDepth { throw map.error(.unsupported, cur.pos, "template nested too deeply") }
    }

    // MARK: statements

    mutating func parseTemplate() throws -> [Node] {
        let (body, end) = try subparse([])
        if let e = end { throw fail("unexpected '\(e)'") }
        return body
    }

    /// Parses nodes until `{% <one of ends> ...`; returns the end name with the stream on the token after it.
    private mutating func subparse(_ ends: [String]) throws -> ([Node], String?) {
        try enter(); defer { depth -= 1 }
        var body: [Node] = []
        while true {
            let t = cur
            switch t.kind {
            case .eof:
                if !ends.isEmpty {
                    throw fail("unexpected end of template, expected " + ends.map { "'\($0)'" }.joined(separator: " or "))
                }
                return (body, nil)
            case .data(let text):
                _ = next()
                body.append(.text(text))
            case .varBegin:
                _ = next()
                let e = try parseTuple()
                guard cur.kind == .varEnd else { throw fail("expected end of print statement, got '\(describe(cur))'") }
                _ = next()
                body.append(.output(e))
            case .blockBegin:
                _ = next()
                let nameTok = cur
                guard case .name(let tag) = nameTok.kind else { throw fail("tag name expected") }
                if ends.contains(tag) { _ = next(); return (body, tag) }
                body.append(try parseStatement(tag, nameTok))
            default:
                throw fail("unexpected '\(describe(t))'")
            }
        }
    }

    private mutating func parseStatement(_ tag: String, _ tok: Token) throws -> Node {
        _ = next()
        switch tag {
        case "for": return try parseFor(tok)
        case "if": return try parseIf()
        case "set": return try parseSet(tok)
        case "macro": return try parseMacro()
        case "filter":
            let filters = try parseFilterChain()
            try expectBlockEnd()
            let (body, _) = try subparse(["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters, body)
        case "with":
            var assigns: [(Target, Expr)] = []
            while cur.kind != .blockEnd {
                if !assigns.isEmpty { try expectOp(",") }
                let t = try parseAssignTarget(withTuple: false)
                try expectOp("=")
                assigns.append((t, try parseExpression()))
            }
            try expectBlockEnd()
            let (body, _) = try subparse(["endwith"])
            try expectBlockEnd()
            return .with(assigns, body, tok.pos)
        case "break", "continue":
            if loopDepth == 0 { throw map.error(.syntax, tok.pos, "'\(tag)' outside of a loop") }
            try expectBlockEnd()
            return tag == "break" ? .loopBreak : .loopContinue
        case "generation":
            try expectBlockEnd()
            let (body, _) = try subparse(["endgeneration"])
            try expectBlockEnd()
            return .generation(body)
        case "include", "import", "from", "extends", "block", "call", "autoescape", "raw", "do", "trans":
            throw unsupported("unsupported tag '\(tag)'", tok)
        default:
            throw map.error(.syntax, tok.pos, "unknown tag '\(tag)'")
        }
    }

    private mutating func parseFor(_ tok: Token) throws -> Node {
        let target = try parseAssignTarget(withTuple: true, extraEnd: ["in"])
        guard isName("in") else { throw fail("expected 'in', got '\(describe(cur))'") }
        _ = next()
        let iter = try parseTuple(withCondexpr: false, extraEnd: ["recursive"])
        var cond: Expr? = nil
        if isName("if") { _ = next(); cond = try parseExpression() }
        if isName("recursive") { throw unsupported("unsupported recursive for loop", cur) }
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try subparse(["endfor", "else"])
        loopDepth -= 1
        var elseBody: [Node] = []
        if end == "else" {
            try expectBlockEnd()
            (elseBody, _) = try subparse(["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(ForLoop(target: target, iterable: iter, condition: cond, body: body, elseBody: elseBody), tok.pos)
    }

    private mutating func parseIf() throws -> Node {
        var branches: [(Expr, [Node])] = []
        var elseBody: [Node] = []
        var cond = try parseTuple(withCondexpr: false)
        while true {
            try expectBlockEnd()
            let (body, end) = try subparse(["elif", "else", "endif"])
            branches.append((cond, body))
            if end == "elif" { cond = try parseTuple(withCondexpr: false); continue }
            if end == "else" {
                try expectBlockEnd()
                (elseBody, _) = try subparse(["endif"])
            }
            try expectBlockEnd()
            return .ifChain(branches, elseBody: elseBody)
        }
    }

    private mutating func parseSet(_ tok: Token) throws -> Node {
        let target = try parseAssignTarget(withTuple: true, withNamespace: true)
        if isOp("=") {
            _ = next()
            let e = try parseTuple()
            try expectBlockEnd()
            return .set(target, e, tok.pos)
        }
        let filters = isOp("|") ? try parseFilterChain() : []
        try expectBlockEnd()
        let (body, _) = try subparse(["endset"])
        try expectBlockEnd()
        return .setBlock(target, body, filters, tok.pos)
    }

    private mutating func parseMacro() throws -> Node {
        let name = try expectName()
        var params: [(String, Expr?)] = []
        try expectOp("(")
        while !isOp(")") {
            if !params.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let p = try expectName()
            var def: Expr? = nil
            if isOp("=") { _ = next(); def = try parseExpression() }
            else if params.contains(where: { $0.1 != nil }) { throw fail("non-default argument follows default argument") }
            params.append((p, def))
        }
        _ = next()
        try expectBlockEnd()
        let outer = loopDepth
        loopDepth = 0
        let (body, _) = try subparse(["endmacro"])
        loopDepth = outer
        try expectBlockEnd()
        return .macro(MacroDef(name: name, params: params, body: body))
    }

    /// `name`, `a, b`, `(a, b)` or (with namespaces) `ns.attr`.
    private mutating func parseAssignTarget(withTuple: Bool, extraEnd: [String] = [], withNamespace: Bool = false) throws -> Target {
        try enter(); defer { depth -= 1 }
        func one(_ p: inout Parser) throws -> Target {
            let t = p.cur
            if case .name(let n) = t.kind, !["true", "false", "True", "False", "none", "None"].contains(n) {
                _ = p.next()
                if withNamespace, p.isOp(".") {
                    _ = p.next()
                    return .namespaceAttr(n, try p.expectName())
                }
                return .name(n)
            }
            if p.isOp("(") {
                _ = p.next()
                let inner = try p.parseAssignTarget(withTuple: true)
                try p.expectOp(")")
                return inner
            }
            throw p.fail("can't assign to '\(p.describe(t))'")
        }
        var items = [try one(&self)]
        guard withTuple else { return items[0] }
        var isTuple = false
        while isOp(",") {
            isTuple = true
            _ = next()
            if case .name(let n) = cur.kind, extraEnd.contains(n) { break }
            if cur.kind == .blockEnd || isOp("=") || isOp(")") { break }
            items.append(try one(&self))
        }
        return isTuple ? .tuple(items) : items[0]
    }

    // MARK: expressions

    /// jinja2's parse_tuple: one expression, or a tuple when commas follow.
    private mutating func parseTuple(withCondexpr: Bool = true, extraEnd: [String] = [], explicitParens: Bool = false) throws -> Expr {
        let pos = cur.pos
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if cur.kind == .varEnd || cur.kind == .blockEnd || isOp(")") { break }
            if case .name(let n) = cur.kind, extraEnd.contains(n) { break }
            items.append(withCondexpr ? try parseExpression() : try parseOr())
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let e = items.first { return e }
            if !explicitParens { throw fail("expected an expression, got '\(describe(cur))'") }
        }
        return Expr(kind: .tuple(items), pos: pos)
    }

    private mutating func parseExpression() throws -> Expr {
        try enter(); defer { depth -= 1 }
        var e = try parseOr()
        var levels = 0
        defer { depth -= levels }
        while isName("if") {
            try deeper(&levels)
            let pos = next().pos
            let test = try parseOr()
            var other: Expr? = nil
            if isName("else") { _ = next(); other = try parseExpression() }
            e = Expr(kind: .cond(test: test, then: e, else: other), pos: pos)
        }
        return e
    }

    private mutating func parseOr() throws -> Expr {
        var e = try parseAnd()
        var levels = 0
        defer { depth -= levels }
        while isName("or") { try deeper(&levels); let p = next().pos; e = Expr(kind: .or(e, try parseAnd()), pos: p) }
        return e
    }

    private mutating func parseAnd() throws -> Expr {
        var e = try parseNot()
        var levels = 0
        defer { depth -= levels }
        while isName("and") { try deeper(&levels); let p = next().pos; e = Expr(kind: .and(e, try parseNot()), pos: p) }
        return e
    }

    private mutating func parseNot() throws -> Expr {
        if isName("not") {
            let p = next().pos
            try enter(); defer { depth -= 1 }
            return Expr(kind: .not(try parseNot()), pos: p)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let e = try parseMath1()
        var ops: [(String, Expr)] = []
        var levels = 0
        defer { depth -= levels }
        while true {
            try deeper(&levels)
            if case .op(let o) = cur.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                _ = next(); ops.append((o, try parseMath1()))
            } else if isName("in") {
                _ = next(); ops.append(("in", try parseMath1()))
            } else if isName("not"), isName("in", peek()) {
                _ = next(); _ = next(); ops.append(("notin", try parseMath1()))
            } else { break }
        }
        return ops.isEmpty ? e : Expr(kind: .compare(e, ops), pos: e.pos)
    }

    private mutating func parseMath1() throws -> Expr {
        var e = try parseConcat()
        var levels = 0
        defer { depth -= levels }
        while case .op(let o) = cur.kind, o == "+" || o == "-" {
            try deeper(&levels)
            let p = next().pos
            e = Expr(kind: .binary(o, e, try parseConcat()), pos: p)
        }
        return e
    }

    private mutating func parseConcat() throws -> Expr {
        var items = [try parseMath2()]
        let p = cur.pos
        var levels = 0
        defer { depth -= levels }
        while isOp("~") { try deeper(&levels); _ = next(); items.append(try parseMath2()) }
        return items.count == 1 ? items[0] : Expr(kind: .concat(items), pos: p)
    }

    private mutating func parseMath2() throws -> Expr {
        var e = try parsePow()
        var levels = 0
        defer { depth -= levels }
        while case .op(let o) = cur.kind, ["*", "/", "//", "%"].contains(o) {
            try deeper(&levels)
            let p = next().pos
            e = Expr(kind: .binary(o, e, try parsePow()), pos: p)
        }
        return e
    }

    private mutating func parsePow() throws -> Expr {
        var e = try parseUnary()
        var levels = 0
        defer { depth -= levels }
        while isOp("**") { try deeper(&levels); let p = next().pos; e = Expr(kind: .binary("**", e, try parseUnary()), pos: p) }
        return e
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        try enter(); defer { depth -= 1 }
        var e: Expr
        if isOp("-") { let p = next().pos; e = Expr(kind: .neg(try parseUnary(withFilter: false)), pos: p) }
        else if isOp("+") { let p = next().pos; e = Expr(kind: .pos(try parseUnary(withFilter: false)), pos: p) }
        else { e = try parsePrimary() }
        e = try parsePostfix(e)
        if withFilter { e = try parseFilterExpr(e) }
        return e
    }

    private mutating func parsePrimary() throws -> Expr {
        let t = cur
        switch t.kind {
        case .name(let n):
            _ = next()
            switch n {
            case "true", "True": return Expr(kind: .literal(.bool(true)), pos: t.pos)
            case "false", "False": return Expr(kind: .literal(.bool(false)), pos: t.pos)
            case "none", "None": return Expr(kind: .literal(.none), pos: t.pos)
            default: return Expr(kind: .name(n), pos: t.pos)
            }
        case .string(let s):
            _ = next()
            var text = s
            while case .string(let more) = cur.kind { text += more; _ = next() }
            return Expr(kind: .literal(.string(text)), pos: t.pos)
        case .int(let v): _ = next(); return Expr(kind: .literal(.int(v)), pos: t.pos)
        case .float(let v): _ = next(); return Expr(kind: .literal(.double(v)), pos: t.pos)
        case .op("("):
            _ = next()
            try enter(); defer { depth -= 1 }
            let e = try parseTuple(explicitParens: true)
            try expectOp(")")
            return e
        case .op("["):
            _ = next()
            try enter(); defer { depth -= 1 }
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            _ = next()
            return Expr(kind: .list(items), pos: t.pos)
        case .op("{"):
            _ = next()
            try enter(); defer { depth -= 1 }
            var items: [(Expr, Expr)] = []
            while !isOp("}") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                items.append((key, try parseExpression()))
            }
            _ = next()
            return Expr(kind: .dict(items), pos: t.pos)
        default:
            throw fail("unexpected '\(describe(t))'")
        }
    }

    private mutating func parsePostfix(_ start: Expr) throws -> Expr {
        var e = start
        var levels = 0
        defer { depth -= levels }
        while true {
            try deeper(&levels)
            if isOp(".") {
                let p = next().pos
                let t = next()
                switch t.kind {
                case .name(let n): e = Expr(kind: .attr(e, n), pos: p)
                case .int(let v): e = Expr(kind: .item(e, Expr(kind: .literal(.int(v)), pos: t.pos)), pos: p)
                default: throw fail("expected name or number", t)
                }
            } else if isOp("[") {
                let p = next().pos
                var args: [Expr] = []
                while !isOp("]") {
                    if !args.isEmpty { try expectOp(",") }
                    args.append(try parseSubscribed())
                }
                _ = next()
                if args.isEmpty { throw fail("expected subscript expression") }
                e = Expr(kind: .item(e, args.count == 1 ? args[0] : Expr(kind: .tuple(args), pos: p)), pos: p)
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    private mutating func parseSubscribed() throws -> Expr {
        let p = cur.pos
        var parts: [Expr?]
        if isOp(":") {
            _ = next(); parts = [nil]
        } else {
            let e = try parseExpression()
            if !isOp(":") { return e }
            _ = next(); parts = [e]
        }
        if isOp(":") { parts.append(nil) }
        else if !isOp("]") && !isOp(",") { parts.append(try parseExpression()) }
        else { parts.append(nil) }
        if isOp(":") {
            _ = next()
            parts.append(!isOp("]") && !isOp(",") ? try parseExpression() : nil)
        } else { parts.append(nil) }
        return Expr(kind: .slice(parts[0], parts[1], parts[2]), pos: p)
    }

    private mutating func parseCallArgs() throws -> Args {
        try expectOp("(")
        var args = Args()
        var first = true
        while !isOp(")") {
            if !first { try expectOp(","); if isOp(")") { break } }
            first = false
            if isOp("*") || isOp("**") { throw unsupported("unsupported *args/**kwargs in a call", cur) }
            if case .name(let n) = cur.kind, isOp("=", peek()) {
                _ = next(); _ = next()
                args.keyword.append((n, try parseExpression()))
            } else {
                if !args.keyword.isEmpty { throw fail("positional argument follows keyword argument") }
                args.positional.append(try parseExpression())
            }
        }
        _ = next()
        return args
    }

    private mutating func parseCall(_ callee: Expr) throws -> Expr {
        Expr(kind: .call(callee, try parseCallArgs()), pos: callee.pos)
    }

    private mutating func parseFilterExpr(_ start: Expr) throws -> Expr {
        var e = start
        var levels = 0
        defer { depth -= levels }
        while true {
            try deeper(&levels)
            if isOp("|") {
                _ = next()
                e = Expr(kind: .filter(e, try parseFilter()), pos: e.pos)
            } else if isName("is") {
                _ = next()
                e = try parseTest(e)
            } else if isOp("(") {
                e = try parseCall(e)
            } else {
                return e
            }
        }
    }

    /// One `name(args)` after a `|` (the pipe already consumed).
    private mutating func parseFilter() throws -> FilterCall {
        let t = cur
        var name = try expectName()
        while isOp(".") { _ = next(); name += "." + (try expectName()) }
        guard Filters.table[name] != nil else { throw unsupported("unsupported filter '\(name)'", t) }
        let args = isOp("(") ? try parseCallArgs() : Args()
        return FilterCall(name: name, args: args, pos: t.pos)
    }

    /// `| f | g(x)` chains in {% filter %} and {% set x | f %}.
    private mutating func parseFilterChain() throws -> [FilterCall] {
        var out: [FilterCall] = []
        if !isOp("|") { out.append(try parseFilter()) }
        while isOp("|") { _ = next(); out.append(try parseFilter()) }
        return out
    }

    private mutating func parseTest(_ subject: Expr) throws -> Expr {
        var negated = false
        if isName("not") { _ = next(); negated = true }
        let t = cur
        var name = try expectName()
        while isOp(".") { _ = next(); name += "." + (try expectName()) }
        guard Predicates.table[name] != nil else { throw unsupported("unsupported test '\(name)'", t) }
        var args = Args()
        if isOp("(") {
            args = try parseCallArgs()
        } else {
            var takesArg = false
            switch cur.kind {
            case .name(let n): takesArg = !["else", "or", "and"].contains(n)
            case .string, .int, .float, .op("["), .op("{"): takesArg = true
            default: break
            }
            if takesArg {
                if isName("is") { throw fail("you cannot chain multiple tests with is") }
                args.positional = [try parsePostfix(try parsePrimary())]
            }
        }
        return Expr(kind: .test(subject, name: name, args: args, negated: negated), pos: t.pos)
    }
}
