// --symbolic: sympy decides what the built-in rules cannot. A long-lived python3+sympy process runs in the
// same sandbox as programs (sympy's parser evaluates its input); each question has a timeout, after which the
// process is killed and restarted and the pair counts as undecided.
import Foundation
import Streams

let sympyScript = #"""
import os, sys, json, re, resource
PROTO_OUT = os.fdopen(os.dup(1), "w")
os.dup2(os.open("/dev/null", os.O_RDWR), 1)
try:
    import sympy
    from sympy.parsing.sympy_parser import (parse_expr, standard_transformations,
        implicit_multiplication_application, convert_xor)
    OK = True
except Exception as e:
    OK = False
    WHY = "sympy is not importable: %s" % e
uid = int(os.environ.get("ST_SANDBOX_UID", "0"))
if uid and os.geteuid() == 0:
    os.setgroups([]); os.setgid(uid); os.setuid(uid)
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
resource.setrlimit(resource.RLIMIT_NPROC, (1, 1)) if uid else None
T = standard_transformations + (implicit_multiplication_application, convert_xor) if OK else None

def braced(s, i):
    # s[i] == "{": return (content, index after the closing brace)
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{": depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0: return s[i + 1:j], j + 1
    raise ValueError("unbalanced braces")

def arg(s, i):
    while i < len(s) and s[i] == " ": i += 1
    if i < len(s) and s[i] == "{": return braced(s, i)
    if i < len(s) and s[i] == "\\":
        m = re.match(r"\\[A-Za-z]+", s[i:]); return s[i:i + m.end()], i + m.end()
    return s[i], i + 1

def to_py(s):
    s = s.replace("\\left", "").replace("\\right", "").replace("\\!", "").replace("\\,", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("$", "")
    out, i = "", 0
    while i < len(s):
        if s.startswith("\\frac", i):
            a, i = arg(s, i + 5); b, i = arg(s, i); out += "((%s)/(%s))" % (to_py(a), to_py(b)); continue
        if s.startswith("\\sqrt", i):
            i += 5
            if i < len(s) and s[i] == "[":
                j = s.index("]", i); n = s[i + 1:j]; a, i = arg(s, j + 1)
                out += "root(%s,%s)" % (to_py(a), to_py(n)); continue
            a, i = arg(s, i); out += "sqrt(%s)" % to_py(a); continue
        if s[i] == "{": out += "("; i += 1; continue
        if s[i] == "}": out += ")"; i += 1; continue
        m = re.match(r"\\([A-Za-z]+)", s[i:])
        if m:
            name = m.group(1)
            out += {"pi": "pi", "cdot": "*", "times": "*", "div": "/", "infty": "oo", "ln": "log",
                    "le": "<=", "ge": ">=", "cdots": "", "text": "", "mathrm": ""}.get(name, name)
            i += m.end(); continue
        out += s[i]; i += 1
    return out

def parse(s):
    return parse_expr(to_py(s), transformations=T, evaluate=True)

for line in sys.stdin:
    req = json.loads(line)
    resp = {"id": req["id"], "eq": None}
    if not OK:
        resp["why"] = WHY
    else:
        try:
            a, b = parse(req["a"]), parse(req["b"])
            d = sympy.simplify(a - b)
            if d == 0: resp["eq"] = True
            elif d.is_number and d.is_zero is False: resp["eq"] = False
            else:
                e = a.equals(b)
                resp["eq"] = e if e is not None else None
        except Exception as e:
            resp["why"] = "%s: %s" % (type(e).__name__, str(e)[:200])
    PROTO_OUT.write(json.dumps(resp) + "\n"); PROTO_OUT.flush()
"""#

final class SympyChecker: @unchecked Sendable {
    private let pool: SandboxPool
    private let timeout: Double
    private let lock = NSLock()
    private var worker: SandboxWorker?

    init(pool: SandboxPool, timeout: Double) {
        self.pool = pool
        self.timeout = timeout
    }

    func stop() {
        lock.lock(); defer { lock.unlock() }
        worker?.terminate()
        worker = nil
    }

    /// true/false when sympy decides, nil when it cannot (or runs out of time).
    func equal(_ a: String, _ b: String) -> Bool? {
        lock.lock(); defer { lock.unlock() }
        if worker == nil || !worker!.alive { worker = pool.startService(script: sympyScript, uid: 61999) }
        guard let w = worker else { return nil }
        // sympy's import takes a second or two on the first question
        let resp = w.call(JSONObject([("a", JSON(a)), ("b", JSON(b))]), timeout: timeout + (w.calls == 0 ? 30 : 0))
        w.calls += 1
        guard let resp else { worker = nil; return nil }
        return resp["eq"]?.bool
    }
}
