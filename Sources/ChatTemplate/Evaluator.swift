// Renders the tree: jinja2's runtime semantics (scoping, Undefined, loop variables, macros) over Val.

final class Renderer {
    let map: SourceMap
    let globals: [String: Val]
    /// Template-level variables (what `set` at top level writes and macros read at call time).
    var root: [String: Val] = [:]
    /// Innermost last: one frame per for-loop iteration, macro call or with-block.
    var frames: [[String: Val]] = []
    var out = ""
    private var callDepth = 0
    static let maxCallDepth = 100

    enum Flow { case normal, breakLoop, continueLoop }

    init(map: SourceMap, globals: [String: Val]) {
        self.map = map
        self.globals = globals
    }

    func lookup(_ name: String) -> Val {
        for f in frames.reversed() { if let v = f[name] { return v } }
        if let v = root[name] ?? globals[name] { return v }
        return .undefined(hint: "'\(name)' is undefined")
    }

    func assign(_ name: String, _ v: Val) {
        if frames.isEmpty { root[name] = v } else { frames[frames.count - 1][name] = v }
    }

    /// Attaches the node's place to evaluation errors.
    func at<T>(_ pos: Pos, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as EvalError { throw map.error(e.kind, pos, e.message) }
    }

    // MARK: statements

    func exec(_ nodes: [Node]) throws -> Flow {
        for n in nodes {
            let flow = try exec(n)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func exec(_ node: Node) throws -> Flow {
        switch node {
        case .text(let s):
            out += s
        case .output(let e):
            let v = try eval(e)
            out += pyStr(v)
        case .ifChain(let branches, let elseBody):
            for (cond, body) in branches where try eval(cond).truthy { return try exec(body) }
            return try exec(elseBody)
        case .forLoop(let loop, let pos):
            return try execFor(loop, pos)
        case .set(let target, let e, let pos):
            let v = try eval(e)
            try at(pos) { try bind(target, v) }
        case .setBlock(let target, let body, let filters, let pos):
            var v = Val.string(try capture { _ = try exec(body) })
            for f in filters { v = try applyFilter(f, v) }
            let value = v
            try at(pos) { try bind(target, value) }
        case .macro(let def):
            assign(def.name, .function(macroFunction(def)))
        case .filterBlock(let filters, let body):
            var v = Val.string(try capture { _ = try exec(body) })
            for f in filters { v = try applyFilter(f, v) }
            out += pyStr(v)
        case .with(let assigns, let body, let pos):
            var frame: [String: Val] = [:]
            for (t, e) in assigns {
                let v = try eval(e)
                try at(pos) { try bindInto(&frame, t, v) }
            }
            frames.append(frame)
            defer { frames.removeLast() }
            return try exec(body)
        case .loopBreak: return .breakLoop
        case .loopContinue: return .continueLoop
        case .generation(let body):
            return try exec(body)
        }
        return .normal
    }

    func capture(_ body: () throws -> Void) throws -> String {
        let saved = out
        out = ""
        defer { out = saved }
        try body()
        return out
    }

    private func bind(_ target: Target, _ v: Val) throws {
        if case .namespaceAttr(let ns, let attr) = target {
            guard case .namespace(let obj) = lookup(ns) else { throw EvalError("cannot assign attribute on non-namespace object") }
            if attr.hasPrefix("_") { throw EvalError("chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attr)'") }
            obj.attrs[attr] = v
            return
        }
        if frames.isEmpty { try bindInto(&root, target, v) } else { try bindInto(&frames[frames.count - 1], target, v) }
    }

    private func bindInto(_ frame: inout [String: Val], _ target: Target, _ v: Val) throws {
        switch target {
        case .name(let n): frame[n] = v
        case .tuple(let ts):
            let items = try pyIterate(v)
            guard items.count == ts.count else {
                throw EvalError(items.count > ts.count ? "too many values to unpack (expected \(ts.count))"
                                    : "not enough values to unpack (expected \(ts.count), got \(items.count))")
            }
            for (t, x) in zip(ts, items) { try bindInto(&frame, t, x) }
        case .namespaceAttr:
            throw EvalError("can't assign to a namespace attribute here")
        }
    }

    private func execFor(_ loop: ForLoop, _ pos: Pos) throws -> Flow {
        let seq = try eval(loop.iterable)
        var items = try at(loop.iterable.pos) { try pyIterate(seq) }
        if let cond = loop.condition {
            // The filter runs before the loop, so loop.length and loop.last count filtered items only.
            var kept: [Val] = []
            for x in items {
                var frame: [String: Val] = [:]
                try at(pos) { try bindInto(&frame, loop.target, x) }
                frames.append(frame)
                defer { frames.removeLast() }
                if try eval(cond).truthy { kept.append(x) }
            }
            items = kept
        }
        if items.isEmpty { return try exec(loop.elseBody) }
        let n = items.count
        for (i, x) in items.enumerated() {
            var info = Dict()
            info["index"] = .int(i + 1)
            info["index0"] = .int(i)
            info["revindex"] = .int(n - i)
            info["revindex0"] = .int(n - i - 1)
            info["first"] = .bool(i == 0)
            info["last"] = .bool(i == n - 1)
            info["length"] = .int(n)
            info["depth"] = .int(1)
            info["depth0"] = .int(0)
            info["previtem"] = i > 0 ? items[i - 1] : .undefined(hint: "there is no previous item")
            info["nextitem"] = i < n - 1 ? items[i + 1] : .undefined(hint: "there is no next item")
            info["cycle"] = .function(Function("loop.cycle") { _, args, _ in
                guard !args.isEmpty else { throw EvalError("no items for cycling given") }
                return args[i % args.count]
            })
            var frame: [String: Val] = ["loop": .dict(info)]
            try at(pos) { try bindInto(&frame, loop.target, x) }
            frames.append(frame)
            let flow = try exec(loop.body)
            frames.removeLast()
            if flow == .breakLoop { break }
        }
        return .normal
    }

    private func macroFunction(_ def: MacroDef) -> Function {
        Function(def.name) { r, args, kwargs in
            guard args.count <= def.params.count else {
                throw EvalError("macro '\(def.name)' takes not more than \(def.params.count) argument(s)")
            }
            var frame: [String: Val] = [:]
            for (i, (p, dflt)) in def.params.enumerated() {
                if i < args.count { frame[p] = args[i] }
                else if let kw = kwargs.first(where: { $0.0 == p }) { frame[p] = kw.1 }
                else if let d = dflt { frame[p] = try r.eval(d) }
                else { frame[p] = .undefined(hint: "parameter '\(p)' was not provided") }
            }
            for (k, _) in kwargs where !def.params.contains(where: { $0.0 == k }) {
                throw EvalError("macro '\(def.name)' was invoked with an unknown keyword argument '\(k)'")
            }
            r.callDepth += 1
            defer { r.callDepth -= 1 }
            if r.callDepth > Renderer.maxCallDepth { throw EvalError("macro calls nested too deeply", .unsupported) }
            // A macro sees the template-level variables at call time, then its parameters.
            let saved = r.frames
            r.frames = [frame]
            defer { r.frames = saved }
            return .string(try r.capture { _ = try r.exec(def.body) })
        }
    }

    // MARK: expressions

    func eval(_ e: Expr) throws -> Val {
        switch e.kind {
        case .literal(let v): return v
        case .name(let n): return lookup(n)
        case .list(let xs): return .list(try xs.map(eval))
        case .tuple(let xs): return .tuple(try xs.map(eval))
        case .dict(let pairs):
            var d = Dict()
            for (ke, ve) in pairs {
                let k = try eval(ke)
                guard case .string(let key) = k else {
                    throw map.error(.unsupported, ke.pos, "unsupported dict key of type '\(k.typeName)' (only strings)")
                }
                d[key] = try eval(ve)
            }
            return .dict(d)
        case .attr(let obj, let name):
            let o = try eval(obj)
            return try at(e.pos) { try getAttr(o, name) }
        case .item(let obj, let key):
            let o = try eval(obj)
            if case .slice(let a, let b, let c) = key.kind {
                let (x, y, z) = (try a.map(eval), try b.map(eval), try c.map(eval))
                return try at(e.pos) { try slice(o, x, y, z) }
            }
            let k = try eval(key)
            return try at(e.pos) { try getItem(o, k) }
        case .slice:
            throw map.error(.syntax, e.pos, "slice outside of a subscript")
        case .call(let callee, let args):
            let f = try eval(callee)
            let (pos, kw) = try evalArgs(args)
            return try at(e.pos) {
                switch f {
                case .function(let fn): return try fn.call(self, pos, kw)
                case .undefined(let hint): throw EvalError(hint)
                default: throw EvalError("'\(f.typeName)' object is not callable")
                }
            }
        case .filter(let subject, let call):
            return try applyFilter(call, try eval(subject))
        case .test(let subject, let name, let args, let negated):
            let v = try eval(subject)
            let (pos, kw) = try evalArgs(args)
            let r = try at(e.pos) { try Predicates.apply(name, v, pos, kw, self) }
            return .bool(r != negated)
        case .neg(let x):
            let v = try eval(x)
            return try at(e.pos) {
                switch numeric(try v.defined()) {
                case .int(let i)?:
                    guard i != Int.min else { throw EvalError("integer overflow") }
                    return .int(-i)
                case .double(let d)?: return .double(-d)
                default: throw EvalError("bad operand type for unary -: '\(v.typeName)'")
                }
            }
        case .pos(let x):
            let v = try eval(x)
            return try at(e.pos) {
                switch numeric(try v.defined()) {
                case .int(let i)?: return .int(i)
                case .double(let d)?: return .double(d)
                default: throw EvalError("bad operand type for unary +: '\(v.typeName)'")
                }
            }
        case .not(let x): return .bool(!(try eval(x).truthy))
        case .binary(let op, let a, let b):
            let (x, y) = (try eval(a), try eval(b))
            return try at(e.pos) { try Arithmetic.apply(op, x, y) }
        case .concat(let xs):
            return .string(try xs.map { pyStr(try eval($0)) }.joined())
        case .compare(let first, let rest):
            var left = try eval(first)
            for (op, re) in rest {
                let right = try eval(re)
                let ok = try at(re.pos) { try pyCompare(op, left, right) }
                if !ok { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let a, let b):
            let x = try eval(a)
            return x.truthy ? try eval(b) : x
        case .or(let a, let b):
            let x = try eval(a)
            return x.truthy ? x : try eval(b)
        case .cond(let test, let then, let other):
            if try eval(test).truthy { return try eval(then) }
            if let o = other { return try eval(o) }
            return .undefined(hint: "the inline if-expression evaluated to false and no else section was defined")
        }
    }

    func evalArgs(_ args: Args) throws -> ([Val], [(String, Val)]) {
        (try args.positional.map(eval), try args.keyword.map { ($0.0, try eval($0.1)) })
    }

    func applyFilter(_ call: FilterCall, _ v: Val) throws -> Val {
        let (pos, kw) = try evalArgs(call.args)
        return try at(call.pos) {
            guard let f = Filters.table[call.name] else { throw EvalError("unsupported filter '\(call.name)'", .unsupported) }
            return try f(v, pos, kw, self)
        }
    }

    /// `obj.name`: jinja2 tries the attribute (for dicts and strings: their methods) and then the item.
    func getAttr(_ o: Val, _ name: String) throws -> Val {
        switch o {
        case .undefined(let hint): throw EvalError(hint)
        case .dict(let d):
            if let m = Methods.dict(d, name) { return m }
            return d[name] ?? .undefined(hint: "'dict object' has no attribute '\(name)'")
        case .string(let s):
            if let m = Methods.string(s, name) { return m }
        case .list:
            if let m = Methods.list(o, name) { return m }
        case .namespace(let ns):
            return ns.attrs[name] ?? .undefined(hint: "'Namespace' object has no attribute '\(name)'")
        default: break
        }
        return .undefined(hint: "'\(o.typeName) object' has no attribute '\(name)'")
    }

    /// `obj[key]`: the item first, then (for a string key) the attribute.
    func getItem(_ o: Val, _ key: Val) throws -> Val {
        switch (o, key) {
        case (.undefined(let hint), _): throw EvalError(hint)
        case let (.dict(d), .string(k)):
            if let v = d[k] { return v }
            return .undefined(hint: "'dict object' has no attribute '\(k)'")
        case let (.list(xs), _), let (.tuple(xs), _):
            guard case .int(let i)? = numeric(key) else {
                if case .string(let k) = key { return try getAttr(o, k) }
                throw EvalError("\(o.typeName) indices must be integers or slices, not \(key.typeName)")
            }
            let j = i < 0 ? i + xs.count : i
            return j >= 0 && j < xs.count ? xs[j] : .undefined(hint: "'\(o.typeName) object' has no element \(i)")
        case let (.string(s), _):
            guard case .int(let i)? = numeric(key) else {
                if case .string(let k) = key { return try getAttr(o, k) }
                throw EvalError("string indices must be integers, not '\(key.typeName)'")
            }
            let cs = Array(s.unicodeScalars)
            let j = i < 0 ? i + cs.count : i
            return j >= 0 && j < cs.count ? .string(String(cs[j])) : .undefined(hint: "'str object' has no element \(i)")
        case (_, .string(let k)):
            return try getAttr(o, k)
        default:
            if case .tuple = key { throw EvalError("unsupported tuple subscript", .unsupported) }
            return .undefined(hint: "'\(o.typeName) object' has no element \(pyRepr(key))")
        }
    }

    /// Python slicing of lists, tuples and strings.
    func slice(_ o: Val, _ a: Val?, _ b: Val?, _ c: Val?) throws -> Val {
        func intOrNil(_ v: Val?) throws -> Int? {
            guard let v = v else { return nil }
            if case .none = v { return nil }
            guard case .int(let i)? = numeric(v) else { throw EvalError("slice indices must be integers or None") }
            return i
        }
        let step = try intOrNil(c) ?? 1
        if step == 0 { throw EvalError("slice step cannot be zero") }
        func indices(_ n: Int) throws -> [Int] {
            func clamp(_ x: Int?, _ dflt: Int) -> Int {
                guard var x = x else { return dflt }
                if x < 0 { x += n }
                return step > 0 ? min(max(x, 0), n) : min(max(x, -1), n - 1)
            }
            let start = clamp(try intOrNil(a), step > 0 ? 0 : n - 1)
            let stop = clamp(try intOrNil(b), step > 0 ? n : -1)
            return Array(stride(from: start, to: stop, by: step))
        }
        switch o {
        case .undefined(let hint): throw EvalError(hint)
        case .list(let xs): return .list(try indices(xs.count).map { xs[$0] })
        case .tuple(let xs): return .tuple(try indices(xs.count).map { xs[$0] })
        case .string(let s):
            let cs = Array(s.unicodeScalars)
            return .string(str(try indices(cs.count).map { cs[$0] }))
        default: throw EvalError("'\(o.typeName)' object is not subscriptable")
        }
    }
}
