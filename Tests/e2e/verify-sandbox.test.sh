# st-verify's sandbox end to end: adversarial programs end as fail or timeout, nothing is left behind,
# nothing outside the run's directory changes; on the strongest layer and on the no-namespace fallback.
. "$ST_ROOT/Tests/e2e/lib.sh"
marker=stverifye2e$$
python3 - "$marker" > adv.jsonl <<'PY'
import json, sys
m = sys.argv[1]
progs = [
 ("fork_bomb", "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass", "timeout fail"),
 ("infinite_loop", "while True: pass", "timeout"),
 ("memory_bomb", "x = []\nwhile True: x.append(bytearray(50 << 20))", "fail timeout"),
 ("sleep_forever", "import time\ntime.sleep(10**6)", "timeout"),
 ("write_outside", "open('/etc/%s', 'w').write('x')\nprint(42)" % m, "fail"),
 ("delete_files", "import os\nos.remove('/etc/hostname')\nprint(42)", "fail"),
 ("kill_parent", "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)", "fail timeout"),
 ("close_stdout", "import os, time\nos.close(1)\nos.close(2)\ntime.sleep(30)", "timeout fail"),
 ("output_flood", "while True: print('x' * 10000)", "fail"),
 ("network", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\nprint(42)", "fail"),
 ("background", "import os, subprocess\nsubprocess.Popen(['sleep', '1000', '%s'], start_new_session=True)\nprint(41)" % m, "fail"),
 ("stdin", "x = input()\nprint(42)", "fail"),
]
for name, code, ok in progs:
    print(json.dumps({"id": name, "ok": ok, "task": "program", "answer": "42", "completion": code}))
PY
for layer in default --no-namespaces; do
  flags=""; [ $layer = default ] || flags=$layer
  st-verify $flags --timeout 1.5 --memory 256 --max-output 64 --threads 2 -v adv.jsonl -o out.jsonl 2>err
  grep 'sandbox:' err
  jq -r '[.id, .verdict, .ok, .reason] | @tsv' out.jsonl
  jq -e -s 'all(.[]; . as $r | ($r.ok | split(" ") | any(. == $r.verdict)))' out.jsonl >/dev/null \
    || die "an adversarial program got a verdict it must not ($layer)"
  jq -e -s 'all(.[]; .reward == 0)' out.jsonl >/dev/null || die "an adversarial program was rewarded ($layer)"
  sleep 0.2
  ! pgrep -f "$marker" >/dev/null || die "a process outlived its run ($layer): $(pgrep -af "$marker")"
  [ ! -e "/etc/$marker" ] && [ ! -e "../$marker" ] || die "a program wrote outside its directory ($layer)"
  [ -e /etc/hostname ] || [ ! -d /etc ] || die "a program deleted /etc/hostname"
  # still works afterwards
  echo '{"task":"program","answer":"42","completion":"print(6*7)"}' | st-verify $flags - | jq -e '.verdict == "pass"' >/dev/null \
    || die "sandbox broken after the suite ($layer)"
done
