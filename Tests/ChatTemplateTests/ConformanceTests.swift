import Foundation
import XCTest
import ChatTemplate
import Streams

/// Every fixture template on every conversation, compared byte for byte with what transformers + jinja2 render
/// (Fixtures/goldens.json, written by scripts/reference/chat_template_ref.py).
final class ConformanceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func value(_ j: JSON) -> Value {
        switch j {
        case .null: return .none
        case .bool(let b): return .bool(b)
        case .number(let s): return Int(s).map { .int($0) } ?? .double(Double(s)!)
        case .string(let s): return .string(s)
        case .array(let xs): return .list(xs.map(value))
        case .object(let o): return .dict(zip(o.keys, o.values).map { (key: $0, value: value($1)) })
        }
    }

    static func template(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name + ".jinja"), encoding: .utf8)
    }

    /// Where two renderings first differ, with a little context.
    func firstDifference(_ a: String, _ b: String) -> String {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        var i = 0
        while i < x.count, i < y.count, x[i] == y[i] { i += 1 }
        let lo = max(0, i - 40)
        func cut(_ s: [Unicode.Scalar]) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: s[min(lo, s.count)..<min(i + 40, s.count)])
            return String(v).debugDescription
        }
        return "at scalar \(i): got \(cut(x)) want \(cut(y))"
    }

    func testGoldens() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("goldens.json"), encoding: .utf8)
        let goldens = try JSON.parse(text)
        let conversations = try XCTUnwrap(goldens["conversations"]?.object)
        let tools = Self.value(try XCTUnwrap(goldens["tools"]))
        guard case .list(let toolList) = tools else { return XCTFail("tools is not a list") }
        var templates: [String: ChatTemplate] = [:]
        var passed = 0
        let cases = try XCTUnwrap(goldens["cases"]?.array)
        XCTAssertGreaterThan(cases.count, 100)
        for c in cases {
            let name = try XCTUnwrap(c["template"]?.string)
            let conv = try XCTUnwrap(c["conversation"]?.string)
            let tpl: ChatTemplate
            if let t = templates[name] { tpl = t } else {
                do { tpl = try ChatTemplate(source: try c["snippet"]?.string ?? Self.template(name)) } catch {
                    XCTFail("\(name): \(error)"); continue
                }
                templates[name] = tpl
            }
            guard case .list(let messages) = Self.value(try XCTUnwrap(conversations[conv])) else { return XCTFail("bad conversation") }
            var extra: [String: Value] = [:]
            if case .dict(let pairs) = Self.value(c["extra"] ?? .null) { for (k, v) in pairs { extra[k] = v } }
            let label = "\(name) on \(conv), add_generation_prompt=\(c["add_generation_prompt"]?.bool ?? false)"
            do {
                let out = try tpl.render(messages: messages, addGenerationPrompt: c["add_generation_prompt"]?.bool ?? false,
                                         bosToken: c["bos_token"]?.string, eosToken: c["eos_token"]?.string,
                                         tools: c["tools"]?.bool == true ? toolList : nil, extra: extra)
                if let want = c["output"]?.string {
                    if out == want && out.unicodeScalars.elementsEqual(want.unicodeScalars) { passed += 1 }
                    else { XCTFail("\(label): \(firstDifference(out, want))") }
                } else {
                    XCTFail("\(label): rendered, but jinja2 failed with \(c["error"]?["message"]?.string ?? "?")")
                }
            } catch let e as ChatTemplateError {
                guard let err = c["error"] else { XCTFail("\(label): \(e)"); continue }
                if err["kind"]?.string == "raised" {
                    XCTAssertEqual(e.kind, .raised, label)
                    XCTAssertEqual(e.message, err["message"]?.string, label)
                } else {
                    XCTAssertEqual(e.kind, .runtime, "\(label): \(e)")
                }
                passed += 1
            }
        }
        XCTAssertEqual(passed, cases.count)
    }
}
