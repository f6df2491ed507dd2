import XCTest
import Foundation
import Streams
import Verify

/// The adversarial suite: each program must end as fail or timeout, leave no process behind and change
/// nothing outside its directory. Short limits keep it fast; both the strongest layer available here and the
/// no-namespace fallback are exercised.
final class SandboxTests: XCTestCase {
    static let marker = "stverifyadversary"
    static let programs: [(String, String, Set<Verdict>)] = [
        ("fork bomb", "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass", [.timeout, .fail]),
        ("infinite loop", "while True: pass", [.timeout]),
        ("memory bomb", "x = []\nwhile True: x.append(bytearray(50 << 20))", [.fail, .timeout]),
        ("sleep forever", "import time\ntime.sleep(10**6)", [.timeout]),
        ("write outside", "open('/etc/\(marker)', 'w').write('x')\nprint(42)", [.fail]),
        ("write to the home directory", "import os\nopen(os.path.expanduser('~root') + '/\(marker)', 'w').write('x')\nprint(42)", [.fail]),
        ("delete files", "import os\nos.remove('/etc/hostname')\nprint(42)", [.fail]),
        ("kill the parent", "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)", [.fail, .timeout]),
        ("close stdout", "import os, time\nos.close(1)\nos.close(2)\ntime.sleep(30)", [.timeout, .fail]),
        ("output flood", "while True: print('x' * 10000)", [.fail]),
        ("network", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\nprint(42)", [.fail]),
        ("background process", "import os, time, subprocess\nsubprocess.Popen(['sleep', '1000', '\(marker)'])\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execvp('sleep', ['sleep', '999', '\(marker)'])\n    os._exit(0)\nprint(41)", [.fail]),
        ("read stdin", "x = input()\nprint(42)", [.fail]),
        ("exit early", "import sys\nsys.exit(0)", [.fail, .unparsed]),
    ]

    func runSuite(fallback: Bool) throws {
        var o = VerifyOptions()
        o.task = .program
        o.limits.wall = 1.5
        o.limits.cpu = 1.5
        o.limits.memory = 256 << 20
        o.limits.output = 64 << 10
        o.noNamespaces = fallback
        let v = Verifier(options: o, threads: 2)
        let (pool, why) = v.sandbox()
        guard let pool else { throw XCTSkip("no sandbox here: \(why ?? "?")") }
        XCTAssertEqual(pool.layer.bwrap, !fallback && pool.layer.bwrap)
        let lines = Self.programs.map { json([("id", JSON($0.0)), ("completion", JSON($0.1)), ("answer", JSON("42"))]) }
        let recs = try records(lines)
        for (rec, (name, _, allowed)) in zip(recs, Self.programs) {
            let r = v.verify(rec)
            XCTAssertTrue(allowed.contains(r.verdict), "\(name): \(r.verdict) \(r.reason ?? "") [\(pool.layer)]")
            XCTAssertEqual(r.reward, 0, name)
            XCTAssertLessThan(r.runtimeMs, 10_000, name)
        }
        // every run is over: nothing of theirs may be left
        var left = leftoverProcesses(marker: Self.marker)
        for _ in 0..<20 where !left.isEmpty {
            usleep(50_000)
            left = leftoverProcesses(marker: Self.marker)
        }
        XCTAssertEqual(left, [], "processes left behind [\(pool.layer)]")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/\(Self.marker)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/root/\(Self.marker)"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/etc/hostname") || !FileManager.default.fileExists(atPath: "/etc"))
        // the pool still works after all that
        let ok = v.verify(try records([json([("completion", JSON("print(6*7)")), ("answer", JSON("42"))])])[0])
        XCTAssertEqual(ok.verdict, .pass, ok.reason ?? "")
    }

    func testAdversarialStrongestLayer() throws { try runSuite(fallback: false) }

    func testAdversarialFallbackLayer() throws { try runSuite(fallback: true) }

    func testCodeTasks() throws {
        var o = VerifyOptions()
        o.limits.wall = 5
        let v = Verifier(options: o, threads: 1)
        guard v.sandbox().0 != nil else { throw XCTSkip("no sandbox here") }
        let he = [("task", JSON("humaneval")), ("prompt", JSON("def add(a, b):\n    \"\"\"Add.\"\"\"\n")),
                  ("test", JSON("def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 4\n    assert candidate(0, 0) == 1\n")),
                  ("entry_point", JSON("add"))]
        let good = v.verify(try records([json(he + [("completion", JSON("    return a + b\n"))])])[0])
        XCTAssertEqual(good.verdict, .fail, "the third assert is wrong on purpose")
        XCTAssertTrue(good.reason?.contains("assert candidate(0, 0) == 1") ?? false, good.reason ?? "")
        var po = o
        po.partial = true
        let pv = Verifier(options: po, threads: 1)
        let part = pv.verify(try records([json(he + [("completion", JSON("    return a + b\n"))])])[0])
        XCTAssertEqual(part.verdict, .fail)
        XCTAssertEqual(part.reward, 2.0 / 3.0, accuracy: 1e-9)
        let cheat = v.verify(try records([json(he + [("completion", JSON("    return 0\nimport sys\nsys.exit(0)\n"))])])[0])
        XCTAssertEqual(cheat.verdict, .fail, "exiting early is not passing")
        let demo = v.verify(try records([json(he + [("completion", JSON("    return a + b\n\nif __name__ == '__main__':\n    print(add(int(input()), 1))\n"))])])[0])
        XCTAssertEqual(demo.verdict, .fail, "runs the tests, not the demo")
        XCTAssertTrue(demo.reason?.contains("candidate(0, 0) == 1") ?? false, demo.reason ?? "")
        let brokenTest = he.map { $0.0 == "test" ? ("test", JSON("def check(candidate):\n    assert candidate(1, 2) ==\n")) : $0 }
        let broken = v.verify(try records([json(brokenTest + [("completion", JSON("    return a + b\n"))])])[0])
        XCTAssertEqual(broken.verdict, .error, "a test that does not compile is the benchmark's fault")
        let syntax = v.verify(try records([json(he + [("completion", JSON("    return a +\n"))])])[0])
        XCTAssertEqual(syntax.verdict, .fail)
        XCTAssertTrue(syntax.reason?.hasPrefix("SyntaxError") ?? false, syntax.reason ?? "")

        let mbpp = [("task", JSON("mbpp")), ("test_setup_code", JSON("")),
                    ("test_list", .array([JSON("assert sq(2) == 4"), JSON("assert sq(3) == 9")])),
                    ("challenge_test_list", .array([JSON("assert sq(-1) == 2")]))]
        let m = v.verify(try records([json(mbpp + [("completion", JSON("```python\ndef sq(x):\n    return x * x\n```"))])])[0])
        XCTAssertEqual(m.verdict, .pass, m.reason ?? "")
        var co = o
        co.challengeTests = true
        let mc = Verifier(options: co, threads: 1).verify(try records([json(mbpp + [("completion", JSON("def sq(x):\n    return x * x\n"))])])[0])
        XCTAssertEqual(mc.verdict, .fail)
        let mbad = v.verify(try records([json([("task", JSON("mbpp")), ("completion", JSON("x=1"))])])[0])
        XCTAssertEqual(mbad.verdict, .error)

        let stdio = [("task", JSON("stdio")),
                     ("tests", .array([.object(JSONObject([("input", JSON("3\n")), ("output", JSON("6\n"))])),
                                       .object(JSONObject([("input", JSON("5\n")), ("output", JSON("10"))]))]))]
        let s1 = v.verify(try records([json(stdio + [("completion", JSON("n = int(input())\nprint(n * 2)  "))])])[0])
        XCTAssertEqual(s1.verdict, .pass, s1.reason ?? "")
        let s2 = v.verify(try records([json(stdio + [("completion", JSON("n = int(input())\nprint(n + 3)"))])])[0])
        XCTAssertEqual(s2.verdict, .fail)
        XCTAssertTrue(s2.reason?.contains("test 2") ?? false, s2.reason ?? "")
        let apps = [("task", JSON("apps")), ("input_output", JSON("{\"inputs\": [\"1 2\\n\"], \"outputs\": [\"3\\n\"]}")),
                    ("completion", JSON("a, b = map(int, input().split())\nprint(a + b)"))]
        XCTAssertEqual(v.verify(try records([json(apps)])[0]).verdict, .pass)

        let prog = v.verify(try records([json([("task", JSON("gsm8k")), ("method", JSON("code")), ("answer", JSON("#### 18")),
                                               ("completion", JSON("print(9 * 2)"))])])[0])
        XCTAssertEqual(prog.verdict, .pass, prog.reason ?? "")
        XCTAssertEqual(prog.extracted, "18")
        XCTAssertTrue(prog.verifier.contains("program"))
        // st-sample's translation methods: text-to-code output is a program, code-to-text output is text
        let t2c = v.verify(try records([json([("task", JSON("arith")), ("method", JSON("text-to-code")), ("answer", JSON("18")),
                                              ("completion", JSON("x = 9 * 2\nprint(x)"))])])[0])
        XCTAssertEqual(t2c.verdict, .pass, t2c.reason ?? "")
        let c2t = v.verify(try records([json([("task", JSON("arith")), ("method", JSON("code-to-text")), ("answer", JSON("18")),
                                              ("completion", JSON("9 * 2 = 18\nAnswer: 18"))])])[0])
        XCTAssertEqual(c2t.verdict, .pass, c2t.reason ?? "")
        XCTAssertEqual(c2t.stepsOK, true)
        XCTAssertFalse(c2t.verifier.contains("program"))
    }

    /// Programs that try to pass without computing: the tests run in another process and compare builtin
    /// values there, so none of these passes; the honest solution does.
    func testRewardCannotBeForged() throws {
        var o = VerifyOptions()
        o.task = .humaneval
        o.limits.wall = 5
        let v = Verifier(options: o, threads: 1)
        guard v.sandbox().0 != nil else { throw XCTSkip("no sandbox here") }
        let he = [("prompt", JSON("def add(a, b):\n    \"\"\"Add.\"\"\"\n")),
                  ("test", JSON("def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 4\n")),
                  ("entry_point", JSON("add"))]
        let cheats = [
            "    class A:\n        def __eq__(s, o): return True\n    return A()\n",
            "    class I(int):\n        def __eq__(s, o): return True\n    return I(0)\n",
            "    import sys\n    sys._getframe(1).f_globals['check'] = lambda c: None\n    return 0\n",
            "    import gc\n    return 3 if any(isinstance(x, str) and '== 3' in x for x in gc.get_objects()) else 0\n",
            "    import os\n    os._exit(0)\n",
            "    raise SystemExit(0)\n",
        ]
        for c in cheats {
            let r = v.verify(try records([json(he + [("completion", JSON(c))])])[0])
            XCTAssertNotEqual(r.verdict, .pass, c)
            XCTAssertEqual(r.reward, 0, c)
        }
        let honest = v.verify(try records([json(he + [("completion", JSON("    return a + b\n"))])])[0])
        XCTAssertEqual(honest.verdict, .pass, honest.reason ?? "")
    }

    func testDeterministicPrograms() throws {
        let v = Verifier(options: VerifyOptions(), threads: 2)
        guard v.sandbox().0 != nil else { throw XCTSkip("no sandbox here") }
        let code = "import random\nprint(random.random(), hash('st'), sorted({'b', 'a', 'c'}) == ['a','b','c'], list({'x': 1, 'y': 2}))"
        let recs = try records((0..<4).map { _ in json([("task", JSON("program")), ("completion", JSON(code)), ("answer", JSON("0"))]) })
        let outs = recs.map { v.verify($0).extracted }
        XCTAssertEqual(Set(outs).count, 1, "\(outs)")
    }
}
