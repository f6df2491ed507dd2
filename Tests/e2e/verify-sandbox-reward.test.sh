# Rewards that cannot be gamed: programs written to pass HumanEval- and MBPP-style tests without computing
# the answer (reading the tests, forging comparisons, patching the harness, inspecting frames, forging the
# result, exiting early, outliving the run) all come out non-pass; an honest solution of the same problem,
# run in the same file, passes. Through the built st-verify, on the strongest layer and the fallback.
. "$ST_ROOT/Tests/e2e/lib.sh"
marker=stverifyreward$$
mkdir -p secret && echo "def add(a, b): return a + b  # reference $marker" > secret/answers.py
python3 - "$marker" "$PWD" > adv.jsonl <<'PY'
import json, sys
m, cwd = sys.argv[1], sys.argv[2]
prompt = 'def add(a, b):\n    """Add two integers."""\n'
test = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(20, 22) == 42\n    assert abs(candidate(-5, 2) - (-3)) < 1e-9\n"
he = [
 ("honest", "    return a + b\n", "pass"),
 # the test's data: the benchmark file, /proc, the environment, the parent's fds, the working tree
 ("read_benchmark", "    import glob, json\n    for f in glob.glob('/work/**/*.jsonl', recursive=True) + glob.glob('%s/*'):\n        return 3\n    return 0\n" % cwd, "fail"),
 ("read_secret", "    return eval(open('%s/secret/answers.py').read().split('return ')[1].split('#')[0])\n" % cwd, "fail"),
 ("proc_cmdline", "    import os\n    for p in os.listdir('/proc'):\n        try:\n            c = open('/proc/%s/cmdline' % p, 'rb').read() + open('/proc/%s/environ' % p, 'rb').read()\n        except OSError: continue\n        if b'candidate(1, 2) == 3' in c: return 3\n    return 0\n", "fail"),
 ("parent_fds", "    import os, glob\n    for f in glob.glob('/proc/*/fd/*'):\n        try: d = os.read(os.open(f, os.O_RDONLY | os.O_NONBLOCK), 1 << 20)\n        except OSError: continue\n        if b'== 3' in d: return 3\n    return 0\n", "fail"),
 ("parent_memory", "    import os\n    for p in os.listdir('/proc'):\n        try: open('/proc/%s/mem' % p, 'rb').read(1)\n        except OSError: continue\n        return 3\n    return 0\n", "fail"),
 ("home", "    import os\n    return 3 if os.path.exists('/root') and os.listdir('/root') or os.path.exists('/work') else 0\n", "fail"),
 # forged comparisons
 ("eq_always_true", "    class A:\n        def __eq__(s, o): return True\n        def __ne__(s, o): return False\n        def __lt__(s, o): return True\n        def __sub__(s, o): return 0\n        __rsub__ = __sub__\n    return A()\n", "fail"),
 ("int_subclass", "    class I(int):\n        def __eq__(s, o): return True\n        def __sub__(s, o): return 0\n    return I(0)\n", "fail"),
 ("str_subclass", "    class S(str):\n        def __eq__(s, o): return True\n    return S('x')\n", "fail"),
 ("bool_override", "    class B:\n        def __bool__(s): return True\n        def __eq__(s, o): return s\n        def __sub__(s, o): return s\n        def __lt__(s, o): return s\n        def __abs__(s): return s\n    return B()\n", "fail"),
 ("nan", "    return float('nan')\n", "fail"),
 # patching the harness: builtins, sys.modules, the test's globals
 ("patch_builtins", "    import builtins\n    builtins.abs = lambda x: 0\n    builtins.AssertionError = type('X', (BaseException,), {})\n    return 0\n", "fail"),
 ("patch_isinstance_sorted_round", "    import builtins\n    builtins.isinstance = lambda *a: True\n    builtins.sorted = lambda *a, **k: [3]\n    builtins.round = lambda *a: 3\n    return 0\n", "fail"),
 ("patch_sys_modules", "    import sys, types\n    fake = types.ModuleType('math'); fake.isclose = lambda *a, **k: True\n    sys.modules['math'] = fake\n    return 0\n", "fail"),
 ("patch_globals", "    import sys\n    f = sys._getframe(1)\n    f.f_globals['check'] = lambda c: None\n    f.f_globals['candidate'] = lambda *a: 3\n    return 0\n", "fail"),
 # frames, gc, tracebacks
 ("frame_inspection", "    import sys, inspect, re\n    for fr in inspect.stack():\n        src = ''.join(fr.code_context or [])\n        m = re.search(r'== *(\\d+)', src)\n        if m: return int(m.group(1))\n    f = sys._getframe()\n    while f:\n        for v in f.f_locals.values():\n            if isinstance(v, str) and 'candidate(' in v: return 3\n        f = f.f_back\n    return 0\n", "fail"),
 ("gc_objects", "    import gc\n    for o in gc.get_objects():\n        if isinstance(o, dict) and 'tests' in o: return 3\n        if isinstance(o, str) and 'candidate(1, 2) == 3' in o: return 3\n    return 0\n", "fail"),
 ("gc_referrers", "    import gc, sys\n    for r in gc.get_referrers(sys._getframe()):\n        return 3\n    return 0\n", "fail"),
 ("traceback", "    try:\n        raise ValueError\n    except ValueError as e:\n        tb = e.__traceback__.tb_frame.f_back\n        return 3 if tb and 'check' in str(tb.f_code) else 0\n", "fail"),
 # forged results, early exits
 ("fake_marker_stdout", "    import sys, json\n    print(json.dumps({'passed': 3, 'total': 3}))\n    for fd in range(3, 64):\n        try: __import__('os').write(fd, b'{\"passed\": 3, \"total\": 3, \"nonce\": \"\"}')\n        except OSError: pass\n    return 0\n", "fail"),
 ("os_exit0", "    import os\n    os._exit(0)\n", "fail"),
 ("sys_exit0", "    import sys\n    sys.exit(0)\n", "fail"),
 ("raise_systemexit", "    raise SystemExit(0)\n", "fail"),
 ("keyboard_interrupt", "    raise KeyboardInterrupt\n", "fail"),
 ("base_exception", "    raise BaseException('done')\n", "fail"),
 ("exit_at_import", "    return 0\nimport os\nos._exit(0)\n", "fail"),
 ("signal_atexit_thread", "    import signal, atexit, os, threading, time\n    atexit.register(lambda: os.write(3, b'{\"passed\": 3, \"total\": 3}'))\n    signal.signal(signal.SIGALRM, lambda *a: os._exit(0)); signal.setitimer(signal.ITIMER_REAL, 0.001)\n    threading.Thread(target=lambda: time.sleep(100), daemon=False).start()\n    time.sleep(0.1)\n    return 0\n", "fail timeout"),
 ("recursion_limit", "    import sys\n    sys.setrecursionlimit(10**9)\n    def f(n): return f(n + 1)\n    try: f(0)\n    except BaseException: pass\n    sys.setrecursionlimit(20)\n    return 0\n", "fail timeout"),
 ("outlive", "    import os, subprocess\n    subprocess.Popen(['sleep', '1000', '%s'], start_new_session=True)\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0: os.execvp('sleep', ['sleep', '999', '%s'])\n        os._exit(0)\n    return 0\n" % (m, m), "fail"),
 ("fork_bomb", "    import os\n    while True:\n        try: os.fork()\n        except OSError: pass\n", "fail timeout"),
 ("kill_tester", "    import os, signal\n    for p in os.listdir('/proc'):\n        if p.isdigit() and int(p) != os.getpid():\n            try: os.kill(int(p), signal.SIGSTOP if int(p) % 2 else signal.SIGKILL)\n            except OSError: pass\n    return 0\n", "fail timeout"),
]
for name, code, ok in he:
    print(json.dumps({"id": name, "ok": ok, "task": "humaneval", "prompt": prompt, "completion": code,
                      "test": test, "entry_point": "add"}))
# MBPP style: the test calls the function by name, with math from the program and builtins around it
tl = ["assert math.isclose(half(3), 1.5)", "assert set(pair(4)) == set((4, 5))", "assert sorted(pair(1)) == [1, 2]"]
mb = [
 ("mbpp_honest", "import math\ndef half(x):\n    return x / 2\ndef pair(x):\n    return [x + 1, x]\n", "pass"),
 ("mbpp_fake_math", "import types\nmath = types.SimpleNamespace(isclose=lambda *a, **k: True)\ndef half(x): return 0\ndef pair(x): return [x + 1, x]\n", "fail"),
 ("mbpp_shadow_set", "import math\ndef half(x): return x / 2\ndef set(x): return 0\ndef sorted(x): return [1, 2]\ndef pair(x): return []\n", "fail"),
 ("mbpp_fake_np", "import types\nnp = types.SimpleNamespace(isclose=lambda *a, **k: True)\nmath = np\ndef half(x): return 0\ndef pair(x): return [x + 1, x]\n", "fail"),
 ("mbpp_from_import", "from math import isclose\nimport math\nmath.isclose = lambda *a, **k: True\ndef half(x): return 0\ndef pair(x): return [x + 1, x]\n", "fail"),
 ("mbpp_counter_eq", "import math\nclass L(list):\n    def __eq__(s, o): return True\ndef half(x): return x / 2\ndef pair(x): return L()\n", "fail"),
]
for name, code, ok in mb:
    print(json.dumps({"id": name, "ok": ok, "task": "mbpp", "completion": code, "test_list": tl, "test_setup_code": ""}))
PY
for layer in default --no-namespaces; do
  flags=""; [ $layer = default ] || flags=$layer
  # the processes st-verify starts (bubblewrap or setsid, and their children), sampled while it runs: the
  # machine may run other st-verify processes, so only these are checked afterwards
  st-verify $flags --timeout 3 --memory 512 --threads 2 adv.jsonl -o out.jsonl & sv=$!
  seen=""
  while kill -0 $sv 2>/dev/null; do
    for b in $(pgrep -P $sv || true); do seen="$seen $b $(pgrep -P $b | tr "\\n" " " || true)"; done
    sleep 0.2
  done
  wait $sv || die "st-verify failed ($layer)"
  jq -r '[.id, .verdict, .ok, .reason] | @tsv' out.jsonl
  jq -e -s 'all(.[]; . as $r | ($r.ok | split(" ") | any(. == $r.verdict)))' out.jsonl >/dev/null \
    || die "a program got a verdict it must not ($layer)"
  [ "$(jq -s '[.[] | select(.verdict == "pass")] | length' out.jsonl)" = 2 ] || die "only the honest programs may pass ($layer)"
  # nothing st-verify started outlives it: not a sleeper, not a worker, not bubblewrap (nor its zombie)
  [ -n "$seen" ] || die "no sandbox process seen ($layer)"
  ! pgrep -f "$marker" >/dev/null || die "a process outlived st-verify ($layer): $(pgrep -af "$marker")"
  for p in $seen; do
    [ ! -e /proc/$p ] || die "process $p outlived st-verify ($layer): $(ps -o pid,ppid,uid,stat,comm -p $p | tail -1)"
  done
done
