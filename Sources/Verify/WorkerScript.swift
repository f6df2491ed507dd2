// The Python side of the sandbox: a long-lived worker that runs each program in a forked, limited child
// (own session and temporary directory, rlimits, unprivileged uid when started as root), then kills every
// process the run left behind. Kept as a string so st-verify is self-contained; run as `python3 -I -c`.
let workerScript = #"""
# st-verify sandbox worker (runs inside bubblewrap when available). Reads one JSON request per line on
# stdin, runs the program in a forked child with its own session, temporary directory, rlimits and (as
# root) its own unprivileged uid, kills every process the run left behind, answers one JSON line.
import os, sys, json, time, signal, select, resource, shutil, ctypes, errno, gc
import io, builtins, traceback, ast, textwrap
# Warm imports: programs that use these pay nothing for them. Only the common ones: a bigger worker makes
# every fork slower.
import typing, math, re, collections, itertools, functools, heapq, bisect, string, random, copy, operator

PROTO_IN = sys.stdin.buffer
PROTO_OUT = os.fdopen(os.dup(1), "wb", buffering=0)
DEVNULL = os.open("/dev/null", os.O_RDWR)
os.dup2(DEVNULL, 1)           # nothing printed by accident can corrupt the protocol
ROOT = os.geteuid() == 0
UID = int(os.environ.get("ST_SANDBOX_UID", "0")) if ROOT else 0
PIDNS = os.getpid() <= 3      # in a fresh PID namespace: bwrap's init is 1, we are 2
BASE = os.environ.get("ST_SANDBOX_TMP", "/tmp")
NONET = os.environ.get("ST_SANDBOX_NONET") == "1"
try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
except Exception:
    pass
if NONET:
    import socket
# Objects that exist now are never collected: a child's garbage collections then leave the pages it shares
# with the worker alone (copy-on-write faults were most of the cost of a run).
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


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep(pgid):
    """Kill everything the run started: its process group, every process of the sandbox uid, every
    descendant (we are a subreaper, so orphans come back to us), and in a PID namespace every process
    but bwrap's init and ourselves."""
    me = os.getpid()
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
    if UID and not PIDNS:
        # outside a PID namespace: a helper with the run's uid kills every process of that uid
        k = os.fork()
        if k == 0:
            try:
                os.setgroups([]); os.setgid(UID); os.setuid(UID)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(k, 0)
    for _ in range(50):
        victims = children_of(me)
        if PIDNS:
            victims += [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) not in (1, me)]
        victims = [v for v in set(victims) if v != me]
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


def child(req, workdir, fds, result_w, nonce):
    in_r, out_w, err_w = fds
    os.setsid()
    os.chdir(workdir)
    os.dup2(in_r, 0); os.dup2(out_w, 1); os.dup2(err_w, 2)
    os.dup2(result_w, 3)
    os.closerange(4, 1 << 16)
    lim = req["limits"]
    t = max(1, int(lim["cpu"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (t, t + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["fsize"], lim["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["nofile"], lim["nofile"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (lim["nproc"], lim["nproc"]))
    resource.setrlimit(resource.RLIMIT_AS, (lim["memory"], lim["memory"]))
    if UID:
        os.setgroups([]); os.setgid(UID); os.setuid(UID)
    if NONET:
        # No network namespace (bubblewrap unavailable): refuse sockets at the Python level.
        def _refuse(*a, **k):
            raise PermissionError(1, "network access is disabled in the st-verify sandbox")
        socket.socket.connect = _refuse
        socket.socket.connect_ex = _refuse
        socket.socket.bind = _refuse
        socket.create_connection = _refuse
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
                       "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
    random.seed(0)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="replace")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  line_buffering=True)
    sys.argv = ["program.py"]
    sys.path.insert(0, workdir)
    result = os.fdopen(3, "w")
    me = os.getpid()

    def finish(obj):
        if os.getpid() != me:      # a process the program forked does not get to report
            os._exit(1)
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        obj["nonce"] = nonce
        result.write(json.dumps(obj)); result.flush()
        os._exit(0)

    sources = {"<program>": req["program"].splitlines()}

    def failing_line(e):
        tb, found = e.__traceback__, None
        while tb is not None:
            lines = sources.get(tb.tb_frame.f_code.co_filename)
            if lines is not None and 0 < tb.tb_lineno <= len(lines):
                found = lines[tb.tb_lineno - 1].strip()
            tb = tb.tb_next
        return found

    def describe(e, src=None):
        name = type(e).__name__
        msg = str(e)
        if isinstance(e, AssertionError) and not msg:
            # the failing assert: the innermost line of the program or a test in the traceback
            line = failing_line(e)
            if line:
                return "AssertionError: " + line[:300]
            if src:
                return "AssertionError: " + src.strip().splitlines()[0][:300]
        if isinstance(e, SyntaxError):
            return "SyntaxError: %s (line %s)" % (e.msg, e.lineno)
        return (name + ": " + msg)[:300] if msg else name

    mode = req["mode"]
    # A script is __main__; a program under test is not, so a completion's `if __name__ == "__main__":` demo
    # (which may read stdin) does not run before the tests, as in openai/human-eval.
    g = {"__name__": "__main__" if mode == "script" else "program", "__builtins__": builtins}
    try:
        code = compile(req["program"], "<program>", "exec")
        if mode == "script":
            try:
                exec(code, g)
            except SystemExit as e:
                c = e.code
                if c is None or c == 0:
                    finish({"passed": 1, "total": 1})
                if not isinstance(c, int):
                    sys.stderr.write(str(c) + "\n"); c = 1
                finish({"passed": 0, "total": 1, "exit": c, "reason": "exit status %d" % c})
            finish({"passed": 1, "total": 1})
        # mode "tests": statements run one by one after the program; SystemExit anywhere is a failure.
        # The benchmark's test code is compiled before the program runs: if it does not compile, the
        # benchmark is broken, not the solution.
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
        if split:
            tree = ast.parse(split)
            fn = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
            if not fn:
                finish({"passed": 0, "total": 1, "broken": "the benchmark's test defines no check()"})
        exec(code, g)
        if split:
            # HumanEval --partial: the test code runs, then each statement of check(candidate) on its own
            exec(compiled[0], g)
            arg = fn[0].args.args[0].arg if fn[0].args.args else "candidate"
            if req["entry_point"] not in g:
                finish({"passed": 0, "total": 1, "reason": "NameError: the program does not define %s" % req["entry_point"]})
            g[arg] = g[req["entry_point"]]
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
        for t, c in zip(tests, compiled):
            test = is_test(t)
            try:
                exec(c, g)
                if test:
                    passed += 1
            except BaseException as e:
                if isinstance(e, SystemExit):
                    e = RuntimeError("the program called exit() during a test")
                if isinstance(e, NameError) and "'check'" in str(e) and "check" not in g:
                    finish({"passed": 0, "total": 1, "broken": "the benchmark's test defines no check()"})
                if first is None:
                    first = describe(e, t)
                if not test or req.get("stop_on_fail", True):
                    break
        finish({"passed": passed, "total": max(total, 1), "reason": first})
    except SystemExit as e:
        finish({"passed": 0, "total": 1, "reason": "the program called exit() (status %r)" % (e.code,)})
    except BaseException as e:
        tb = e.__traceback__
        line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<program>":
                line = tb.tb_lineno
            tb = tb.tb_next
        r = describe(e)
        if line:
            r += " (program line %d)" % line
        try:
            traceback.print_exc()
        except BaseException:
            pass
        finish({"passed": 0, "total": 1, "reason": r, "exception": True})


def run(req):
    lim = req["limits"]
    cap = lim["output"]
    workdir = os.path.join(BASE, "run-%d-%d" % (os.getpid(), req["id"]))   # workers may share BASE
    shutil.rmtree(workdir, ignore_errors=True)
    os.mkdir(workdir, 0o700)
    if UID:
        os.chown(workdir, UID, UID)
    stdin_data = req.get("stdin")
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    nonce = os.urandom(12).hex()
    start = time.monotonic()
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(in_w); os.close(out_r); os.close(err_r); os.close(res_r)
            child(req, workdir, (in_r, out_w, err_w), res_w, nonce)
        finally:
            os._exit(120)
    for fd in (in_r, out_w, err_w, res_w):
        os.close(fd)
    try:
        pidfd = os.pidfd_open(pid)   # readable when the child exits (Linux 5.3+)
    except (AttributeError, OSError):
        pidfd = -1
    pending = stdin_data.encode("utf-8", "surrogateescape") if stdin_data else b""
    if not pending:
        os.close(in_w); in_w = -1
    else:
        os.set_blocking(in_w, False)
    bufs = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    open_fds = [out_r, err_r, res_r]
    deadline = start + lim["wall"]
    status = None
    exited = None          # waitpid status once the child is gone
    exit_time = None
    while True:
        now = time.monotonic()
        if exited is None:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                exited = st; exit_time = now
        if exited is not None and (not open_fds or now - exit_time > 0.05):
            break              # done; or a leftover process holds the pipes: the sweep takes it
        if now >= deadline:
            status = "timeout"
            break
        wfds = [in_w] if in_w >= 0 and pending else []
        rfds = open_fds + ([pidfd] if pidfd >= 0 and exited is None else [])
        wait = 0.01 if exited is not None else (0.05 if pidfd < 0 else 1.0)
        try:
            r, w, _ = select.select(rfds, wfds, [], max(0, min(deadline - now, wait)))
        except InterruptedError:
            continue
        if pidfd in r:
            r.remove(pidfd)
        for fd in w:
            try:
                n = os.write(fd, pending[:65536]); pending = pending[n:]
            except BlockingIOError:
                pass
            except OSError:
                pending = b""
            if not pending:
                os.close(in_w); in_w = -1
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
    if pidfd >= 0:
        os.close(pidfd)
    sweep(pid)
    if exited is None:
        try:
            _, exited = os.waitpid(pid, 0)
        except ChildProcessError:
            exited = 0
    for fd in list(bufs) + ([in_w] if in_w >= 0 else []):
        try:
            os.close(fd)
        except OSError:
            pass
    shutil.rmtree(workdir, ignore_errors=True)
    out = {"id": req["id"], "elapsed": elapsed,
           "stdout": bufs[out_r][:cap].decode("utf-8", "replace"),
           "stderr": bufs[err_r][-4096:].decode("utf-8", "replace")}
    result = None
    try:
        result = json.loads(bufs[res_r].decode())
        if result.get("nonce") != nonce:
            result = None
    except Exception:
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
