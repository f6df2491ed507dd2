// The Python side of the sandbox: a long-lived worker, a zygote that forks every program without ever
// holding a test, an input or another program, and (for tests) a tester process that runs the benchmark's
// test code and sees the program's functions only as remote calls returning builtin values. Kept as a
// string so st-verify is self-contained; run as `python3 -I -c`.
let workerScript = #"""
# st-verify sandbox worker (runs inside bubblewrap when available). Reads one JSON request per line on
# stdin and answers one JSON line per request.
#
# Three kinds of process, so that the program under test never holds the tests or their expected values:
# - the worker (this process): reads requests, creates each run's pipes, enforces the wall clock, kills
#   whatever a run left behind;
# - the zygote: forked before the first request is read, so it never sees a test, a program or an input;
#   every program runs in a fresh fork of it (warm imports, nothing of anyone else's in memory);
# - the tester (tests mode): forked from the worker per run, with its own uid (as root) and not dumpable;
#   it runs the benchmark's test code. The program's functions are remote there: a call sends the
#   arguments to the program's process and gets back a value rebuilt from plain data, of builtin types only
#   (anything else is an opaque handle that refuses comparison), so every comparison runs on genuine
#   builtin values in the tester, which alone can report the result.
import os, sys, json, time, signal, select, resource, shutil, ctypes, errno, gc, socket, struct
import io, builtins, traceback, ast, textwrap, importlib
# Warm imports: programs that use these pay nothing for them. Only the common ones: a bigger worker makes
# every fork slower.
import typing, math, re, collections, itertools, functools, heapq, bisect, string, random, copy, operator

LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36


def prctl(op, arg):
    try:
        LIBC.prctl(op, arg, 0, 0, 0)
    except Exception:
        pass


PROTO_IN = sys.stdin.buffer
PROTO_OUT = os.fdopen(os.dup(1), "wb", buffering=0)
DEVNULL = os.open("/dev/null", os.O_RDWR)
os.dup2(DEVNULL, 1)           # nothing printed by accident can corrupt the protocol
ROOT = os.geteuid() == 0
UID = int(os.environ.get("ST_SANDBOX_UID", "0")) if ROOT else 0      # the program's uid
TUID = UID + 1000 if UID else 0                                        # the tester's uid
PIDNS = os.getpid() <= 3      # in a fresh PID namespace: bwrap's init is 1, we are 2
BASE = os.environ.get("ST_SANDBOX_TMP", "/tmp")
NONET = os.environ.get("ST_SANDBOX_NONET") == "1"
MAXMSG = 64 << 20             # largest message between tester and program
prctl(PR_SET_CHILD_SUBREAPER, 1)
prctl(PR_SET_DUMPABLE, 0)     # a program with our uid (no uid change) cannot read our memory or fds
if not PIDNS:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # outside bwrap nothing else ties us to st-verify
try:
    sys.set_int_max_str_digits(0)   # big integers cross between tester and program as JSON numbers
except AttributeError:
    pass
# Objects that exist now are never collected: a child's garbage collections then leave the pages it shares
# with the zygote alone (copy-on-write faults were most of the cost of a run).
gc.freeze()


def children_of(pid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                st = f.read()
            ppid = int(st[st.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        if ppid == pid:
            out.append(int(name))
    return out


def limit(lim, nproc=True):
    t = max(1, int(lim["cpu"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (t, t + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["fsize"], lim["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["nofile"], lim["nofile"]))
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (lim["nproc"], lim["nproc"]))
    resource.setrlimit(resource.RLIMIT_AS, (lim["memory"], lim["memory"]))


def become(uid):
    if uid:
        os.setgroups([]); os.setgid(uid); os.setuid(uid)


def std_streams(workdir):
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
                       "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    random.seed(0)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)


def describe(e, sources, src=None):
    name = type(e).__name__
    msg = str(e)
    if isinstance(e, AssertionError) and not msg:
        # the failing assert: the innermost line of the program or a test in the traceback
        tb, line = e.__traceback__, None
        while tb is not None:
            lines = sources.get(tb.tb_frame.f_code.co_filename)
            if lines is not None and 0 < tb.tb_lineno <= len(lines):
                line = lines[tb.tb_lineno - 1].strip()
            tb = tb.tb_next
        if line:
            return "AssertionError: " + line[:300]
        if src:
            return "AssertionError: " + src.strip().splitlines()[0][:300]
    if isinstance(e, SyntaxError):
        return "SyntaxError: %s (line %s)" % (e.msg, e.lineno)
    return (name + ": " + msg)[:300] if msg else name


# MARK: messages between the tester and the program: 4-byte length, then JSON of tagged plain data.

def send_msg(sock, obj):
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack("<I", len(data)) + data)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def recv_msg(sock):
    n = struct.unpack("<I", recv_exact(sock, 4))[0]
    if n > MAXMSG:
        raise ValueError("message of %d bytes" % n)
    return json.loads(recv_exact(sock, n))


# MARK: the program's process (a fork of the zygote)

def program_process(hdr, fds):
    prog_r, in_r, out_w, err_w, chan = fds
    os.setsid()
    data = bytearray()
    while True:                       # the worker writes the program, then closes its end
        chunk = os.read(prog_r, 1 << 20)
        if not chunk:
            break
        data += chunk
    program = data.decode("utf-8", "surrogateescape")
    workdir = hdr["workdir"]
    os.chdir(workdir)
    os.dup2(in_r, 0); os.dup2(out_w, 1); os.dup2(err_w, 2); os.dup2(chan, 3)
    os.closerange(4, 1 << 16)
    limit(hdr["limits"])
    become(UID)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)   # dies with the zygote (after the uid change, which clears it)
    if NONET:
        # No network namespace (bubblewrap unavailable): refuse sockets at the Python level.
        def _refuse(*a, **k):
            raise PermissionError(1, "network access is disabled in the st-verify sandbox")
        socket.socket.connect = _refuse
        socket.socket.connect_ex = _refuse
        socket.socket.bind = _refuse
        socket.create_connection = _refuse
    std_streams(workdir)
    sys.argv = ["program.py"]
    sys.path.insert(0, workdir)
    sources = {"<program>": program.splitlines()}
    if hdr["mode"] == "script":
        run_script(program, hdr["nonce"], sources)
    else:
        serve(program, socket.socket(fileno=3), sources)


def flush():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except BaseException:
            pass


def run_script(program, nonce, sources):
    """stdio and program tasks: the verdict is the output, compared outside; fd 3 says the script ended."""
    result = os.fdopen(3, "w")

    def finish(obj):
        flush()
        obj["nonce"] = nonce
        result.write(json.dumps(obj)); result.flush()
        os._exit(0)
    g = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(program, "<program>", "exec"), g)
    except SystemExit as e:
        c = e.code
        if c is None or c == 0:
            finish({"passed": 1, "total": 1})
        if not isinstance(c, int):
            sys.stderr.write(str(c) + "\n"); c = 1
        finish({"passed": 0, "total": 1, "exit": c, "reason": "exit status %d" % c})
    except BaseException as e:
        finish({"passed": 0, "total": 1, "reason": where(e, sources), "exception": True})
    finish({"passed": 1, "total": 1})


def where(e, sources):
    tb, line = e.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<program>":
            line = tb.tb_lineno
        tb = tb.tb_next
    r = describe(e, sources)
    if line:
        r += " (program line %d)" % line
    try:
        traceback.print_exc()
    except BaseException:
        pass
    return r


def to_plain(v, handles, depth=0):
    """The program's value as tagged plain data: builtin values by exact type (subclasses of builtin types,
    numpy scalars and iterators as their builtin equivalent), anything else as a handle."""
    if depth > 500:
        raise RecursionError("value nested too deeply")
    t = type(v)
    if v is None or t is bool or t is int or t is str:
        return v
    if t is float:
        return v if v == v and v not in (float("inf"), float("-inf")) else {"F": repr(v)}
    d = depth + 1
    if t is list:
        return [to_plain(x, handles, d) for x in v]
    if t is tuple:
        return {"t": [to_plain(x, handles, d) for x in v]}
    if t is dict:
        return {"d": [[to_plain(k, handles, d), to_plain(x, handles, d)] for k, x in v.items()]}
    if t is set:
        return {"s": [to_plain(x, handles, d) for x in v]}
    if t is frozenset:
        return {"f": [to_plain(x, handles, d) for x in v]}
    if t is bytes:
        return {"b": v.hex()}
    if t is complex:
        return {"c": [to_plain(v.real, handles, d), to_plain(v.imag, handles, d)]}
    if t is range:
        return {"R": [v.start, v.stop, v.step]}
    for base in (bool, int, float, str, list, tuple, dict, set, frozenset, bytes, complex):
        if isinstance(v, base):        # Counter, OrderedDict, namedtuple, IntEnum, numpy.float64 ...
            return to_plain(base(v) if base is not dict else dict(v.items()), handles, depth)
    if t.__module__ == "numpy" and getattr(v, "ndim", None) == 0 and hasattr(v, "item"):
        return to_plain(v.item(), handles, depth)
    if hasattr(t, "__next__") and hasattr(t, "__iter__"):   # generator, map, zip...: materialized
        return {"i": [to_plain(x, handles, d) for x in itertools.islice(v, 1 << 20)]}
    handles.append(v)
    return {"h": [len(handles) - 1, t.__name__[:60]]}


def serve(program, chan, sources):
    """tests mode: run the program, then answer the tester's calls until it hangs up."""
    handles = []
    g = {"__name__": "program", "__builtins__": builtins}
    try:
        want = recv_msg(chan)["names"]
    except BaseException:
        os._exit(1)
    try:
        exec(compile(program, "<program>", "exec"), g)
    except SystemExit as e:
        flush()
        send_msg(chan, {"error": "the program called exit() (status %r)" % (e.code,)})
        os._exit(0)
    except BaseException as e:
        r = where(e, sources)
        flush()
        send_msg(chan, {"error": r})
        os._exit(0)
    kinds = {}
    for n in want:
        if n in g:
            v = g[n]
            if type(v) is type(sys):
                kinds[n] = ["module", getattr(v, "__name__", "")]
            elif callable(v) and isinstance(getattr(v, "__module__", None), str) and v.__module__ != "program":
                kinds[n] = ["from", v.__module__, getattr(v, "__qualname__", n)]
            else:
                kinds[n] = ["value"]
    send_msg(chan, {"ready": kinds})

    def resolve(r):
        if type(r) is dict and "r" in r:
            kind, key = r["r"]
            return g[key] if kind == "g" else handles[key]
        return from_plain(r, resolve)
    while True:
        try:
            m = recv_msg(chan)
        except BaseException:
            flush()
            os._exit(0)
        if type(m) is not dict or m.get("op") == "bye":
            flush()
            os._exit(0)
        try:
            target = resolve({"r": m["ref"]})
            op = m["op"]
            if op == "call":
                v = target(*[resolve(a) for a in m["args"]], **{k: resolve(a) for k, a in m["kw"]})
            elif op == "getattr":
                v = getattr(target, m["name"])
            elif op == "getitem":
                v = target[resolve(m["key"])]
            else:
                v = target
            out = {"v": to_plain(v, handles)}
        except BaseException as e:
            if isinstance(e, SystemExit):
                e = RuntimeError("the program called exit() during a test")
            out = {"e": describe(e, sources)}
        try:
            send_msg(chan, out)
        except BaseException:
            os._exit(0)


# MARK: plain data back into values (the tester side: exact types, nothing of the program's runs here)

class ProgramError(Exception):
    """An exception the program raised (its description, as text)."""


class ProtocolError(Exception):
    pass


def from_plain(v, handle):
    t = type(v)
    if v is None or t is bool or t is int or t is float or t is str:
        return v
    if t is list:
        return [from_plain(x, handle) for x in v]
    if t is not dict or len(v) != 1:
        raise ProtocolError("malformed value from the program")
    (k, x), = v.items()
    if k == "h" or k == "r":
        return handle(v)
    if type(x) is str:
        if k == "F" and x in ("nan", "inf", "-inf"):
            return float(x)
        if k == "b":
            return bytes.fromhex(x)
        if k == "T" and x in BUILTIN_TYPE_NAMES:
            return getattr(builtins, x)
        raise ProtocolError("malformed value from the program")
    if type(x) is not list:
        raise ProtocolError("malformed value from the program")
    if k == "t":
        return tuple(from_plain(y, handle) for y in x)
    if k == "s":
        return set(from_plain(y, handle) for y in x)
    if k == "f":
        return frozenset(from_plain(y, handle) for y in x)
    if k == "i":
        return iter([from_plain(y, handle) for y in x])
    if k == "d":
        out = {}
        for p in x:
            if type(p) is not list or len(p) != 2:
                raise ProtocolError("malformed value from the program")
            out[from_plain(p[0], handle)] = from_plain(p[1], handle)
        return out
    if k == "c" and len(x) == 2 and all(type(y) in (int, float) for y in x):
        return complex(x[0], x[1])
    if k == "R" and len(x) == 3 and all(type(y) is int for y in x) and x[2] != 0:
        return range(*x)
    raise ProtocolError("malformed value from the program")


class Remote:
    """A function, class or object of the program, seen from the tester. Calls, attributes and items are
    asked of the program's process; everything else (comparison, truth, hashing, arithmetic) is refused,
    since its answer would be the program's to choose."""
    __slots__ = ("_ref", "_what")

    def __init__(self, ref, what):
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_what", what)

    def __call__(self, *args, **kw):
        return ask({"op": "call", "ref": self._ref, "args": [plain_arg(a) for a in args],
                    "kw": [[k, plain_arg(a)] for k, a in kw.items()]})

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return ask({"op": "getattr", "ref": self._ref, "name": name})

    def __getitem__(self, key):
        return ask({"op": "getitem", "ref": self._ref, "key": plain_arg(key)})

    def __repr__(self):
        return "<%s of the program>" % self._what

    def _refuse(self, *a, **k):
        raise TypeError("the program returned a %s, not a value of a builtin type" % self._what)
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __hash__ = __len__ = __iter__ = _refuse
    __contains__ = __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _refuse
    __floordiv__ = __mod__ = __pow__ = __neg__ = __abs__ = __int__ = __float__ = __index__ = _refuse
    __setattr__ = __setitem__ = __delitem__ = __round__ = __str__ = __format__ = _refuse


CHAN = None


def ask(m):
    try:
        send_msg(CHAN, m)
        r = recv_msg(CHAN)
    except (EOFError, OSError):
        raise ProgramGone("the program ended before the tests finished")
    if type(r) is not dict:
        raise ProtocolError("malformed answer from the program")
    if "e" in r:
        raise ProgramError(str(r["e"])[:300])
    if "v" not in r:
        raise ProtocolError("malformed answer from the program")
    return from_plain(r["v"], handle_of)


class ProgramGone(Exception):
    pass


def handle_of(v):
    if "h" in v and type(v["h"]) is list and len(v["h"]) == 2 and type(v["h"][0]) is int:
        return Remote(["h", v["h"][0]], str(v["h"][1]))
    raise ProtocolError("malformed value from the program")


def plain_arg(v, depth=0):
    """An argument the test passes to the program: builtin values, or the program's own objects back."""
    if depth > 500:
        raise RecursionError("argument nested too deeply")
    t = type(v)
    if t is Remote:
        return {"r": object.__getattribute__(v, "_ref")}
    if v is None or t is bool or t is int or t is str:
        return v
    if t is float:
        return v if v == v and v not in (float("inf"), float("-inf")) else {"F": repr(v)}
    d = depth + 1
    if t is list:
        return [plain_arg(x, d) for x in v]
    if t is tuple:
        return {"t": [plain_arg(x, d) for x in v]}
    if t is dict:
        return {"d": [[plain_arg(k, d), plain_arg(x, d)] for k, x in v.items()]}
    if t is set or t is frozenset:
        return {"s" if t is set else "f": [plain_arg(x, d) for x in v]}
    if t is bytes:
        return {"b": v.hex()}
    if t is complex:
        return {"c": [v.real, v.imag]}
    if t is range:
        return {"R": [v.start, v.stop, v.step]}
    if t is type and v in BUILTIN_TYPES:      # remove_datatype(t, int): a builtin type, by name
        return {"T": v.__name__}
    raise TypeError("the test passes a %s to the program; only builtin values cross" % t.__name__)


BUILTIN_TYPES = (int, float, str, bool, bytes, complex, list, tuple, dict, set, frozenset, object)
BUILTIN_TYPE_NAMES = {t.__name__ for t in BUILTIN_TYPES}


# Modules the tester imports itself when the test uses a module the program imported (MBPP's tests call
# math.isclose without importing math). Pure ones only: the program names the module, the tester's own
# copy runs.
SAFE_MODULES = {"math", "cmath", "re", "collections", "itertools", "functools", "heapq", "bisect", "string",
                "operator", "statistics", "fractions", "decimal", "random", "copy", "typing", "datetime",
                "calendar", "array", "numbers", "unicodedata", "textwrap", "json", "numpy", "hashlib", "struct",
                "collections.abc", "difflib", "sympy"}
MODULE_ALIASES = {"np": "numpy", "sp": "sympy"}


def tester_process(req, out_w, err_w, chan, res_w, nonce):
    global CHAN
    os.setsid()
    os.dup2(DEVNULL, 0); os.dup2(out_w, 1); os.dup2(err_w, 2); os.dup2(res_w, 3); os.dup2(chan, 4)
    os.closerange(5, 1 << 16)
    os.chdir("/")
    limit(req["limits"], nproc=False)
    become(TUID)
    prctl(PR_SET_DUMPABLE, 0)      # (the uid change reset it): the program cannot read our memory or fds
    std_streams("/nonexistent")
    CHAN = socket.socket(fileno=4)
    result = os.fdopen(3, "w")

    def finish(obj):
        flush()
        obj["nonce"] = nonce
        result.write(json.dumps(obj)); result.flush()
        os._exit(0)
    try:
        tester(req, finish)
    except BaseException as e:
        finish({"passed": 0, "total": 1, "reason": "the test harness failed: " + describe(e, {})})
    finish({"passed": 0, "total": 1, "reason": "the test harness failed"})


def names_in(sources):
    out = set()
    for s in sources:
        try:
            tree = ast.parse(s)
        except SyntaxError:
            continue
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                out.add(n.id)
    return sorted(out)


def under_test(tests, name):
    """{name} when the builtin `name` is only ever the function under test (MBPP 126 defines `sum`): each
    occurrence is the callee on the left of an assert's single comparison, so the program gets the inputs
    only, never the expected side (a program's own `set` must not see `set(f(x)) == set((4, 5))`)."""
    seen = lhs = 0
    for s in tests:
        try:
            tree = ast.parse(s)
        except SyntaxError:
            return set()
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and n.id == name:
                seen += 1
            if isinstance(n, ast.Assert) and isinstance(n.test, ast.Compare) and len(n.test.ops) == 1:
                left = n.test.left
                if isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == name:
                    lhs += 1
    return {name} if seen and seen == lhs else set()


def tester(req, finish):
    sources = {}
    # The benchmark's test code compiles before the program runs: if it does not, the benchmark is broken.
    tests = list(req["tests"])
    compiled = []
    for k, t in enumerate(tests):
        name = "<test-%d>" % k
        try:
            compiled.append(compile(t, name, "exec"))
        except SyntaxError as e:
            finish({"passed": 0, "total": 1, "broken": "the benchmark's test does not compile: SyntaxError: %s (line %s)" % (e.msg, e.lineno)})
        sources[name] = t.splitlines()
    split = req.get("split_check")
    fn = None
    if split:
        tree = ast.parse(split)
        fn = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
        if not fn:
            finish({"passed": 0, "total": 1, "broken": "the benchmark's test defines no check()"})
    entry = req.get("entry_point")
    context = req.get("context")
    wanted = names_in(tests)
    wanted = [n for n in wanted if not hasattr(builtins, n) or n in under_test(tests, n)]
    if entry and entry not in wanted:
        wanted.append(entry)
    send_msg(CHAN, {"names": wanted})
    try:
        hello = recv_msg(CHAN)
    except (EOFError, OSError):
        finish({"passed": 0, "total": 1, "reason": "the program ended before the tests ran", "gone": True})
    if type(hello) is not dict:
        finish({"passed": 0, "total": 1, "reason": "malformed answer from the program"})
    if "error" in hello:
        finish({"passed": 0, "total": 1, "reason": str(hello["error"])[:400], "exception": True})
    kinds = hello.get("ready")
    if type(kinds) is not dict:
        finish({"passed": 0, "total": 1, "reason": "malformed answer from the program"})
    g = {"__name__": "tests", "__builtins__": builtins}
    for n in wanted:
        k = kinds.get(n)
        if type(k) is not list or not k:
            continue
        if n in SAFE_MODULES or n in MODULE_ALIASES:
            # `math`, `np` in a test are the modules, whatever the program bound to the name (a fake math
            # whose isclose always says yes would otherwise answer the comparison)
            k = ["module", MODULE_ALIASES.get(n, n)]
        if k[0] in ("module", "from") and len(k) >= 2 and k[1] in SAFE_MODULES:
            try:
                v = importlib.import_module(k[1])
                if k[0] == "from":
                    for part in str(k[2]).split("."):
                        v = getattr(v, part)
                g[n] = v
                continue
            except Exception:
                pass
            if k[0] == "module":
                continue
        g[n] = Remote(["g", n], "function" if n == entry else "object")
    if context:
        # HumanEval's prompt: the helpers the test uses (poly, encode_cyclic) are the benchmark's own
        try:
            exec(compile(context, "<context>", "exec"), g)
        except BaseException:
            pass
        if entry:
            if entry in kinds:
                g[entry] = Remote(["g", entry], "function")
            else:
                g.pop(entry, None)
    random.seed(0)
    if split:
        # HumanEval --partial: the test code runs, then each statement of check(candidate) on its own
        exec(compiled[0], g)
        arg = fn[0].args.args[0].arg if fn[0].args.args else "candidate"
        if entry not in kinds:
            finish({"passed": 0, "total": 1, "reason": "NameError: the program does not define %s" % entry})
        g[arg] = g[entry]
        tests = [textwrap.dedent(ast.get_source_segment(split, st) or ast.unparse(st)) for st in fn[0].body]
        compiled = []
        for k, t in enumerate(tests):
            name = "<check-%d>" % k
            compiled.append(compile(t, name, "exec"))
            sources[name] = t.splitlines()

    def is_test(t):
        u = t.lstrip()
        return u.startswith("assert") or u.startswith("check(")
    total = sum(1 for t in tests if is_test(t))
    passed = 0
    first = None
    gone = False
    for t, c in zip(tests, compiled):
        test = is_test(t)
        try:
            exec(c, g)
            if test:
                passed += 1
        except BaseException as e:
            if isinstance(e, NameError) and "'check'" in str(e) and "check" not in g:
                finish({"passed": 0, "total": 1, "broken": "the benchmark's test defines no check()"})
            gone = gone or isinstance(e, ProgramGone)
            if first is None:
                first = str(e) if isinstance(e, (ProgramError, ProgramGone)) else describe(e, sources, t)
            if not test or req.get("stop_on_fail", True) or gone:
                break
    try:
        send_msg(CHAN, {"op": "bye"})
    except OSError:
        pass
    finish({"passed": passed, "total": max(total, 1), "reason": first, "gone": gone})


# MARK: the zygote

def zygote(sock):
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != WORKER:
        os._exit(0)
    os.dup2(DEVNULL, 0)
    PROTO_OUT.close()
    children = {}                      # pid -> pidfd (or -1)
    while True:
        rl = [sock] + [f for f in children.values() if f >= 0]
        wait = None if all(f >= 0 for f in children.values()) else 0.01
        try:
            r, _, _ = select.select(rl, [], [], wait)
        except InterruptedError:
            continue
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid in children:        # orphans of a program come back to us (subreaper): reaped, not told
                fd = children.pop(pid)
                if fd >= 0:
                    os.close(fd)
                sock.send(json.dumps({"exit": pid, "status": st}).encode())
        if sock in r:
            try:
                msg, fds, _, _ = socket.recv_fds(sock, 1 << 16, 8)
            except OSError:
                os._exit(0)
            if not msg:
                os._exit(0)
            hdr = json.loads(msg)
            pid = os.fork()
            if pid == 0:
                try:
                    sock.close()
                    for f in children.values():
                        if f >= 0:
                            os.close(f)
                    program_process(hdr, fds)
                finally:
                    os._exit(120)
            for fd in fds:
                os.close(fd)
            try:
                children[pid] = os.pidfd_open(pid)
            except (AttributeError, OSError):
                children[pid] = -1
            sock.send(json.dumps({"pid": pid}).encode())


WORKER = os.getpid()
_zs, _zw = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
ZYGOTE = os.fork()
if ZYGOTE == 0:
    _zw.close()
    try:
        zygote(_zs)
    finally:
        os._exit(0)
_zs.close()
ZSOCK = _zw
ZSOCK.set_inheritable(False)
EXITS = {}                             # program pid -> wait status, as the zygote reports them


def zygote_events(timeout):
    """Reads the zygote's reports for up to `timeout` seconds (0: what is there)."""
    r, _, _ = select.select([ZSOCK], [], [], timeout)
    if not r:
        return False
    m = ZSOCK.recv(1 << 16)
    if not m:
        os._exit(1)        # the zygote died (a program killed it): st-verify starts a new worker
    e = json.loads(m)
    if "exit" in e:
        EXITS[e["exit"]] = e["status"]
    else:
        EXITS.pop(e["pid"], None)       # a reused pid: the old process's report is stale
        EXITS.setdefault("started", []).append(e["pid"])
    return True


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_uid(uid):
    k = os.fork()
    if k == 0:
        try:
            become(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(k, 0)


def sweep(pgids):
    """Kill everything the run started: its process groups, every process of the sandbox uids, every
    descendant of the zygote (a subreaper, so orphans come back to it) and of ourselves, and in a PID
    namespace every process but bwrap's init, the zygote and ourselves."""
    me = os.getpid()
    for p in pgids:
        try:
            os.killpg(p, signal.SIGKILL)
        except OSError:
            pass
    if UID and not PIDNS:
        kill_uid(UID)
        kill_uid(TUID)
    for _ in range(50):
        victims = children_of(me) + children_of(ZYGOTE)
        if PIDNS:
            victims += [int(n) for n in os.listdir("/proc") if n.isdigit()]
        victims = [v for v in set(victims) if v not in (1, me, ZYGOTE)]
        if not victims:
            break
        for v in victims:
            try:
                os.kill(v, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.001)
        reap()
    reap()


def run(req):
    lim = req["limits"]
    cap = lim["output"]
    tests_mode = req["mode"] == "tests"
    workdir = os.path.join(BASE, "run-%d-%d" % (os.getpid(), req["id"]))   # workers may share BASE
    shutil.rmtree(workdir, ignore_errors=True)
    os.mkdir(workdir, 0o700)
    if UID:
        os.chown(workdir, UID, UID)
    nonce = os.urandom(12).hex()
    prog_r, prog_w = os.pipe()
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    if tests_mode:
        chan_t, chan_p = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fourth = chan_p.fileno()
    else:
        fourth = res_w
    start = time.monotonic()
    hdr = {"workdir": workdir, "limits": lim, "mode": req["mode"], "nonce": "" if tests_mode else nonce}
    socket.send_fds(ZSOCK, [json.dumps(hdr).encode()], [prog_r, in_r, out_w, err_w, fourth])
    os.close(prog_r); os.close(in_r)
    if tests_mode:
        chan_p.close()
    EXITS.pop("started", None)
    while "started" not in EXITS:
        zygote_events(5)
    ppid = EXITS.pop("started")[0]
    tpid = None
    if tests_mode:
        gc.freeze()
        tpid = os.fork()
        if tpid == 0:
            try:
                for fd in (prog_w, in_w, out_r, err_r, res_r):
                    os.close(fd)
                tester_process(req, out_w, err_w, chan_t.fileno(), res_w, nonce)
            finally:
                os._exit(120)
        chan_t.close()
    for fd in (out_w, err_w, res_w):
        os.close(fd)
    watched = tpid if tests_mode else ppid
    pending = {prog_w: req["program"].encode("utf-8", "surrogateescape")}
    stdin_data = req.get("stdin")
    if stdin_data:
        pending[in_w] = stdin_data.encode("utf-8", "surrogateescape")
    else:
        os.close(in_w); in_w = -1
    for fd in pending:
        os.set_blocking(fd, False)
    bufs = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    open_fds = [out_r, err_r, res_r]
    deadline = start + lim["wall"]
    status = None
    exited = None          # wait status of the watched process once it is gone
    exit_time = None
    tfd = -1
    if tests_mode:
        try:
            tfd = os.pidfd_open(tpid)
        except (AttributeError, OSError):
            tfd = -1
    while True:
        now = time.monotonic()
        if exited is None:
            if tests_mode:
                p, st = os.waitpid(tpid, os.WNOHANG)
                if p == tpid:
                    exited = st
            elif ppid in EXITS:
                exited = EXITS.pop(ppid)
            if exited is not None:
                exit_time = now
        if exited is not None and (not open_fds or now - exit_time > 0.05):
            break              # done; or a leftover process holds the pipes: the sweep takes it
        if now >= deadline:
            status = "timeout"
            break
        wfds = list(pending)
        rfds = open_fds + [ZSOCK] + ([tfd] if tfd >= 0 and exited is None else [])
        wait = 0.01 if exited is not None else (1.0 if (tfd >= 0 or not tests_mode) else 0.05)
        try:
            r, w, _ = select.select(rfds, wfds, [], max(0, min(deadline - now, wait)))
        except InterruptedError:
            continue
        if ZSOCK in r:
            r.remove(ZSOCK)
            zygote_events(0)
        if tfd in r:
            r.remove(tfd)
        for fd in w:
            try:
                n = os.write(fd, pending[fd][:65536]); pending[fd] = pending[fd][n:]
            except BlockingIOError:
                continue
            except OSError:
                pending[fd] = b""
            if not pending[fd]:
                del pending[fd]
                os.close(fd)
                if fd == in_w:
                    in_w = -1
        for fd in r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                open_fds.remove(fd)
                continue
            bufs[fd] += chunk
            if fd != res_r and len(bufs[out_r]) + len(bufs[err_r]) > cap:
                status = "output_limit"
        if status:
            break
    elapsed = time.monotonic() - start
    if tfd >= 0:
        os.close(tfd)
    result = None
    try:
        result = json.loads(bufs[res_r].decode())
        if type(result) is not dict or result.get("nonce") != nonce:
            result = None
    except Exception:
        result = None
    # In tests mode the program's own end matters when the tests did not pass: a program killed by its CPU
    # limit is a timeout, as it is for a script.
    pstatus = None
    if tests_mode and not status and result is not None and result.get("gone"):
        t_end = time.monotonic() + 0.2
        while ppid not in EXITS and time.monotonic() < t_end:
            zygote_events(max(0, t_end - time.monotonic()))
        pstatus = EXITS.get(ppid)
    sweep([ppid] + ([tpid] if tpid else []))
    if tests_mode and exited is None:
        try:
            _, exited = os.waitpid(tpid, 0)
        except ChildProcessError:
            exited = 0
    if not tests_mode and exited is None:
        t_end = time.monotonic() + 1
        while ppid not in EXITS and time.monotonic() < t_end:
            zygote_events(max(0, t_end - time.monotonic()))
        exited = EXITS.get(ppid, 0)
    EXITS.pop(ppid, None)
    for fd in list(bufs) + list(pending):
        try:
            os.close(fd)
        except OSError:
            pass
    shutil.rmtree(workdir, ignore_errors=True)
    out = {"id": req["id"], "elapsed": elapsed,
           "stdout": bufs[out_r][:cap].decode("utf-8", "replace"),
           "stderr": bufs[err_r][-4096:].decode("utf-8", "replace")}
    if pstatus is not None and os.WIFSIGNALED(pstatus):
        exited = pstatus
        result = None
    if status:
        out["status"] = status
    elif os.WIFSIGNALED(exited):
        sig = os.WTERMSIG(exited)
        out["status"] = "cpu_limit" if sig in (signal.SIGXCPU, signal.SIGKILL) and elapsed >= lim["cpu"] else "signal"
        out["signal"] = sig
    elif result is None:
        out["status"] = "exit"
        out["exit"] = os.WEXITSTATUS(exited)
    else:
        result.pop("nonce", None)
        out["status"] = "done"
        out["result"] = result
    return out


def main():
    while True:
        line = PROTO_IN.readline()
        if not line:
            return
        try:
            req = json.loads(line)
        except ValueError:
            continue
        try:
            if req.get("mode") == "ping":
                resp = {"id": req["id"], "status": "pong", "uid": UID, "pidns": PIDNS, "root": ROOT,
                        "python": sys.version.split()[0]}
            else:
                resp = run(req)
        except Exception as e:  # the worker itself failed: report, keep serving
            resp = {"id": req.get("id", 0), "status": "worker_error", "reason": "%s: %s" % (type(e).__name__, e)}
        PROTO_OUT.write((json.dumps(resp) + "\n").encode())


main()
"""#
