// Bad GGUF files: each must throw a GGUFError naming the file and the problem, never crash.
import XCTest
import Foundation
@testable import Weights

final class GGUFCorruptTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "st-weights-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func original(_ name: String = "tiny-llama.gguf") throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: golden + "/" + name)))
    }
    func write(_ bytes: [UInt8], _ name: String = "bad.gguf") -> String {
        let p = dir + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
    /// Position just after a length-prefixed string (a key or tensor name) in the file.
    func after(_ s: String, in b: [UInt8]) throws -> Int {
        var pat = withUnsafeBytes(of: UInt64(s.utf8.count).littleEndian, Array.init)
        pat += Array(s.utf8)
        for i in 0...(b.count - pat.count) where b[i] == pat[0] && Array(b[i..<i + pat.count]) == pat { return i + pat.count }
        throw XCTSkip("'\(s)' not found")
    }
    func put32(_ v: UInt32, _ b: inout [UInt8], at i: Int) { withUnsafeBytes(of: v.littleEndian) { for k in 0..<4 { b[i + k] = $0[k] } } }
    func put64(_ v: UInt64, _ b: inout [UInt8], at i: Int) { withUnsafeBytes(of: v.littleEndian) { for k in 0..<8 { b[i + k] = $0[k] } } }

    func expectError(_ bytes: [UInt8], _ kind: GGUFError.Kind, _ text: String, llama: Bool = false,
                     file: StaticString = #filePath, line: UInt = #line) {
        let p = write(bytes)
        do {
            if llama { _ = try GGUFLlama(path: p) } else { _ = try GGUFFile(path: p) }
            XCTFail("no error", file: file, line: line)
        } catch let e as GGUFError {
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix(p + ": "), "\(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(text), "\(e)", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        } catch { XCTFail("\(error)", file: file, line: line) }
    }

    func testTruncatedAnywhere() throws {
        let b = try original()
        let f = try GGUFFile(path: golden + "/tiny-llama.gguf")
        // every cut in the first 64 bytes, a spread through the rest of the header and through the data
        var cuts = Array(0..<64) + Array(stride(from: 64, to: f.dataOffset, by: 13))
        cuts += stride(from: f.dataOffset, to: b.count, by: 211)
        for n in cuts {
            let p = write(Array(b[0..<n]))
            XCTAssertThrowsError(try GGUFFile(path: p), "cut at \(n)") { e in
                let d = "\(e)"
                XCTAssertTrue(d.hasPrefix(p + ": ") && (d.contains("truncated") || d.contains("past the end")), "cut at \(n): \(d)")
            }
        }
    }

    func testBadMagicAndVersions() throws {
        var b = try original()
        b[0] = UInt8(ascii: "X")
        expectError(b, .badMagic, "not a GGUF file")
        for (v, kind, text) in [(UInt32(1), GGUFError.Kind.badVersion, "version 1"), (4, .badVersion, "version 4"),
                                (0x0300_0000, .badVersion, "big-endian")] {
            var c = try original()
            put32(v, &c, at: 4)
            expectError(c, kind, text)
        }
        var v2 = try original()                       // v2 has the same layout: accepted
        put32(2, &v2, at: 4)
        XCTAssertEqual(try GGUFFile(path: write(v2, "v2.gguf")).version, 2)
        expectError([], .truncated, "truncated")
    }

    func testUnsupportedTypeNamesTensorAndType() throws {
        var b = try original()
        let name = "blk.1.ffn_up.weight"
        let i = try after(name, in: b)                 // n_dims u32, dims u64 x 2, type u32
        put32(16, &b, at: i + 4 + 16)
        expectError(b, .unsupportedType, "tensor '\(name)' has type IQ2_XXS")
        put32(77, &b, at: i + 4 + 16)
        expectError(b, .unsupportedType, "unknown type 77")
    }

    func testOffsetsAndDimsOutOfBounds() throws {
        let name = "output.weight"
        var b = try original()
        let i = try after(name, in: b), off = i + 4 + 16 + 4
        put64(UInt64(b.count), &b, at: off)
        expectError(b, .outOfBounds, "tensor '\(name)' data")
        put64(UInt64.max - 31, &b, at: off)
        expectError(b, .outOfBounds, "tensor '\(name)'")
        put64(8, &b, at: off)
        expectError(b, .outOfBounds, "not a multiple of the alignment")
        var c = try original()
        put64(1 << 50, &c, at: i + 4)
        expectError(c, .badShape, "tensor '\(name)' has dimension")
        var d = try original()
        put64(33, &d, at: i + 4)                        // row of 33: not whole Q5_1 blocks
        expectError(d, .badShape, "not a multiple of the block size 32")
        var e = try original()
        put32(5, &e, at: i)
        expectError(e, .badShape, "5 dimensions")
        var g = try original()                          // a huge metadata array count
        let k = try after("tokenizer.ggml.tokens", in: g)
        put64(UInt64.max, &g, at: k + 4 + 4)
        expectError(g, .truncated, "element count")
        var h = try original()                          // a string length past the end
        let s = try after("general.architecture", in: h)
        put64(1 << 40, &h, at: s + 4)
        expectError(h, .truncated, "truncated")
    }

    func testShapesThatDisagreeWithMetadata() throws {
        var b = try original()
        let i = try after("llama.attention.head_count", in: b)   // type u32, value u32
        put32(8, &b, at: i + 4)
        expectError(b, .badShape, "tensor 'blk.0.attn_q.weight' has shape [32, 32], but the metadata implies [64, 32]", llama: true)
        var c = try original()
        let j = try after("llama.block_count", in: c)
        put32(3, &c, at: j + 4)
        expectError(c, .missingTensor, "blk.2.attn_norm.weight", llama: true)
        var d = try original()
        let k = try after("general.architecture", in: d)
        d[k + 4 + 8] = UInt8(ascii: "X")
        expectError(d, .badMetadata, "general.architecture is 'Xlama'", llama: true)
    }
}

/// The real SmolLM2-135M GGUF (Q8_0 embeddings, Q4_1 matrices, F32 norms), against gguf-py and transformers
/// values in Golden/smollm2.json; runs only when ST_SMOLLM2_GGUF names the file.
final class SmolLM2GGUFTests: XCTestCase {
    func testRealFileMatchesReference() throws {
        guard let path = ProcessInfo.processInfo.environment["ST_SMOLLM2_GGUF"] else { throw XCTSkip("ST_SMOLLM2_GGUF not set") }
        let ref = try jsonFile("smollm2.json")
        let t0 = Date()
        let m = try GGUFLlama(path: path)
        let w = try m.loadAll()
        print(String(format: "SmolLM2 GGUF: metadata + dequantize %.3f s", Date().timeIntervalSince(t0)))
        XCTAssertEqual(m.file.tensors.count, (ref["tensor_count"] as! NSNumber).intValue)
        let rc = try XCTUnwrap(ref["config"] as? [String: Any]), d = try configDictionary(m)
        for (k, v) in rc {
            let mine = try XCTUnwrap(d[k == "_model_name_or_path" ? "_name_or_path" : k], k)
            XCTAssertTrue(sameJSONValue(mine, v), "config \(k): \(mine) vs \(v)")
        }
        let tok = try GGUFTokenizerInfo(m.file)
        let rt = try XCTUnwrap(ref["tokenizer"] as? [String: Any])
        XCTAssertEqual(tok.model, rt["tokenizer_type"] as? String)
        for (k, list) in [("tokens", tok.tokens), ("merges", tok.merges ?? []), ("token_type", (tok.tokenTypes ?? []).map(String.init))] {
            let r = try XCTUnwrap(rt[k] as? [String: Any])
            XCTAssertEqual(list.count, (r["count"] as! NSNumber).intValue, k)
            if k != "token_type" {
                XCTAssertEqual(Array(list.prefix(3)), r["first"] as? [String], k)
                XCTAssertEqual(Array(list.suffix(3)), r["last"] as? [String], k)
            }
        }
        XCTAssertEqual(tok.chatTemplate, (ref["tokenizer_config"] as? [String: Any])?["chat_template"] as? String)
        let rts = try XCTUnwrap(ref["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(m.names), Set(rts.keys))
        for (name, r) in rts {
            let v = try XCTUnwrap(w[name], name)
            XCTAssertEqual(m.entries[name]?.type.name, r["type"] as? String, name)
            XCTAssertEqual(m.shape(name), (r["shape"] as! [NSNumber]).map(\.intValue), name)
            var hash: UInt64 = 0, sum = 0.0
            for i in 0..<v.count { hash = hash &+ UInt64(v[i].bitPattern) &* (2 &* UInt64(i) &+ 1); sum += Double(v[i]) }
            XCTAssertEqual(String(hash), r["hash"] as? String, "\(name): value bits differ from gguf-py's")
            let rsum = (r["sum"] as! NSNumber).doubleValue
            XCTAssertEqual(sum, rsum, accuracy: 1e-9 * max(1, abs(rsum)) + 1e-6, name)
            for (i, x) in r["at"] as! [String: NSNumber] {
                XCTAssertEqual(v[Int(i)!], x.floatValue, "\(name)[\(i)]")
            }
        }
    }
}
