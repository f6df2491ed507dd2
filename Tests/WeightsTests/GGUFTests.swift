// The GGUF reader against gguf-py and transformers, on golden files written by
// scripts/reference/gguf_ref.py (committed under Tests/WeightsTests/Golden, so no Python is needed).
import XCTest
import Foundation
@testable import Weights

let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

func jsonFile(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: golden + "/" + name))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// Little-endian f32 values from a golden .f32 file.
func f32File(_ name: String) throws -> [Float] {
    let data = try Data(contentsOf: URL(fileURLWithPath: golden + "/" + name))
    return data.withUnsafeBytes { raw in (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
}

/// Count of positions whose bit patterns differ, and the first one, for a readable failure.
func bitDiff(_ a: UnsafeBufferPointer<Float>, _ b: ArraySlice<Float>) -> (Int, String) {
    var n = 0, first = ""
    for (i, (x, y)) in zip(a, b).enumerated() where x.bitPattern != y.bitPattern {
        if n == 0 { first = "[\(i)] \(x) vs \(y)" }
        n += 1
    }
    return (n + abs(a.count - b.count), first)
}

/// The metadata value as the reference script writes it (numbers as exact decimal strings).
func describe(_ v: GGUFValue) -> Any {
    switch v {
    case .uint8(let x): return "\(x)"
    case .int8(let x): return "\(x)"
    case .uint16(let x): return "\(x)"
    case .int16(let x): return "\(x)"
    case .uint32(let x): return "\(x)"
    case .int32(let x): return "\(x)"
    case .uint64(let x): return "\(x)"
    case .int64(let x): return "\(x)"
    case .float32(let x): return Double(x)
    case .float64(let x): return x
    case .bool(let b): return b
    case .string(let s): return s
    case .array(_, let a): return a.map(describe)
    }
}

final class GGUFTypesTests: XCTestCase {
    func testMetadataOfEveryValueType() throws {
        let f = try GGUFFile(path: golden + "/types.gguf")
        let ref = try jsonFile("types.json")
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(f.alignment, 64)
        XCTAssertEqual(f.dataOffset % 64, 0)
        let meta = try XCTUnwrap(ref["metadata"] as? [String: [String: Any]])
        XCTAssertEqual(Set(f.keys), Set(meta.keys))
        for (k, r) in meta {
            let v = try XCTUnwrap(f.metadata[k], k)
            let type = (r["type"] as! NSNumber).uint32Value
            switch v {
            case .array(let et, let a):
                XCTAssertEqual(type, 9, k)
                XCTAssertEqual(et.rawValue, (r["element"] as! NSNumber).uint32Value, k)
                if let flat = r["flat"] as? [String] {          // nested array: gguf-py flattens it
                    let inner = a.flatMap { $0.array ?? [] }
                    XCTAssertEqual(inner.map { "\(describe($0))" }, flat, k)
                    XCTAssertEqual(a.count, 2, k)
                } else {
                    checkScalars(a, r["value"] as! [Any], k)
                }
            default:
                checkScalars([v], [r["value"]!], k)
                XCTAssertEqual(GGUFValueType(rawValue: type).map { "\($0)" }, "\(typeOf(v))", k)
            }
        }
        XCTAssertEqual(f.metadata["t.u64"]?.int, nil)               // past Int.max
        XCTAssertEqual(f.metadata["t.i64"]?.int, -9_000_000_000_000_000_000)
    }

    func typeOf(_ v: GGUFValue) -> GGUFValueType {
        switch v {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    func checkScalars(_ vs: [GGUFValue], _ refs: [Any], _ key: String) {
        XCTAssertEqual(vs.count, refs.count, key)
        for (v, r) in zip(vs, refs) {
            switch v {
            case .float32, .float64:
                let x = v.double!, y = Double(r as! String)!
                XCTAssertEqual(x.bitPattern, y.bitPattern, "\(key): \(x) vs \(y)")
            case .bool(let b): XCTAssertEqual(b, (r as! NSNumber).boolValue, key)
            case .string(let s): XCTAssertEqual(s, r as? String, key)
            default: XCTAssertEqual(describe(v) as? String, r as? String, key)
            }
        }
    }

    /// Every tensor type, bit for bit against gguf-py's dequantize.
    func testEveryTypeDequantizesBitExactly() throws {
        let f = try GGUFFile(path: golden + "/types.gguf")
        let ref = try jsonFile("types.json")
        let expected = try f32File("types.f32")
        let tensors = try XCTUnwrap(ref["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(f.tensors.map(\.name)), Set(tensors.keys))
        var covered = Set<GGMLType>()
        for (name, r) in tensors {
            let t = try XCTUnwrap(f.tensor(name))
            XCTAssertEqual(t.type.name, r["type"] as? String, name)
            XCTAssertEqual(t.dims, (r["dims"] as! [NSNumber]).map(\.intValue), name)
            let off = (r["offset"] as! NSNumber).intValue / 4, n = (r["count"] as! NSNumber).intValue
            let got = try f.floats(name)
            let (bad, first) = got.withUnsafeBufferPointer { bitDiff($0, expected[off..<off + n]) }
            XCTAssertEqual(bad, 0, "\(name) (\(t.type.name)): \(bad) values differ, first \(first)")
            covered.insert(t.type)
        }
        XCTAssertEqual(covered, Set(GGMLType.allCases), "every supported type has a golden")
    }

    func testHalfConversionIsExact() {
        for h in 0..<65536 where (h & 0x7C00) != 0x7C00 || (h & 0x3FF) == 0 {   // every non-NaN
            #if arch(x86_64) || arch(arm64)
            XCTAssertEqual(halfToFloat(UInt16(h)).bitPattern, Float(Float16(bitPattern: UInt16(h))).bitPattern, "f16 0x\(String(h, radix: 16))")
            #endif
        }
    }
}

final class GGUFLlamaTests: XCTestCase {
    func testTinyLlamaMatchesTransformers() throws {
        let m = try GGUFLlama(path: golden + "/tiny-llama.gguf")
        let ref = try jsonFile("tiny-llama.json")
        // config: every key transformers sets has our value
        let rc = try XCTUnwrap(ref["config"] as? [String: Any])
        let d = try configDictionary(m)
        for (k, v) in rc {
            let key = k == "_model_name_or_path" ? "_name_or_path" : k
            let mine = try XCTUnwrap(d[key], "config key \(k)")
            XCTAssertTrue(sameJSONValue(mine, v), "config \(k): \(mine) vs \(v)")
        }
        XCTAssertEqual((d["rms_norm_eps"] as! NSNumber).doubleValue, (rc["rms_norm_eps"] as! NSNumber).doubleValue)
        XCTAssertEqual(d["tie_word_embeddings"] as? Bool, false)
        XCTAssertEqual(d["num_key_value_heads"] as? Int, 2)

        // tokenizer metadata
        let tok = try GGUFTokenizerInfo(m.file)
        let rt = try XCTUnwrap(ref["tokenizer"] as? [String: Any]), rtc = try XCTUnwrap(ref["tokenizer_config"] as? [String: Any])
        XCTAssertEqual(tok.model, rt["tokenizer_type"] as? String)
        XCTAssertEqual(tok.pre, rt["pre_tokenizer_type"] as? String)
        XCTAssertEqual(tok.tokens, rt["tokens"] as? [String])
        XCTAssertEqual(tok.merges, rt["merges"] as? [String])
        XCTAssertEqual(tok.tokenTypes, (rt["token_type"] as? [NSNumber])?.map(\.intValue))
        XCTAssertEqual(tok.scores, (rt["scores"] as? [NSNumber])?.map(\.floatValue))
        XCTAssertEqual(tok.bosTokenId, rt["bos_token_id"] as? Int)
        XCTAssertEqual(tok.eosTokenId, rt["eos_token_id"] as? Int)
        XCTAssertEqual(tok.padTokenId, rt["pad_token_id"] as? Int)
        XCTAssertEqual(tok.unkTokenId, rt["unk_token_id"] as? Int)
        XCTAssertEqual(tok.addBOS, rtc["add_bos_token"] as? Bool)
        XCTAssertEqual(tok.addEOS, rtc["add_eos_token"] as? Bool)
        XCTAssertEqual(tok.chatTemplate, rtc["chat_template"] as? String)

        // tensors: HF names, shapes, and values (q/k un-permuted) bit for bit, serial and parallel
        let expected = try f32File("tiny-llama.f32")
        let rts = try XCTUnwrap(ref["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(m.names), Set(rts.keys))
        XCTAssertEqual(m.unmapped, [])
        for threads in [1, 3] {
            let w = try m.loadAll(threads: threads)
            for (name, r) in rts {
                XCTAssertEqual(m.shape(name), (r["shape"] as! [NSNumber]).map(\.intValue), name)
                let off = (r["offset"] as! NSNumber).intValue / 4, n = (r["count"] as! NSNumber).intValue
                let (bad, first) = bitDiff(try XCTUnwrap(w[name]), expected[off..<off + n])
                XCTAssertEqual(bad, 0, "\(name) with \(threads) threads: \(bad) values differ, first \(first)")
            }
        }
        // read() with the wrong shape is an error naming the tensor
        var buf = [Float](repeating: 0, count: 32 * 32)
        XCTAssertThrowsError(try buf.withUnsafeMutableBufferPointer { try m.read("model.layers.0.self_attn.k_proj.weight", into: $0.baseAddress!, shape: [32, 32]) }) {
            XCTAssertTrue("\($0)".contains("blk.0.attn_k.weight"), "\($0)")
        }
        XCTAssertEqual(try m.floats("model.norm.weight").count, 32)
    }

    func testNameMapping() {
        XCTAssertEqual(hfTensorName("token_embd.weight"), "model.embed_tokens.weight")
        XCTAssertEqual(hfTensorName("blk.12.ffn_norm.weight"), "model.layers.12.post_attention_layernorm.weight")
        XCTAssertEqual(hfTensorName("blk.3.attn_output.weight"), "model.layers.3.self_attn.o_proj.weight")
        XCTAssertEqual(hfTensorName("output.weight"), "lm_head.weight")
        XCTAssertNil(hfTensorName("rope_freqs.weight"))
        XCTAssertNil(hfTensorName("blk.x.attn_q.weight"))
        XCTAssertEqual(hfTensorName("blk.1.attn_v.bias"), "model.layers.1.self_attn.v_proj.bias")
        XCTAssertEqual(hfTensorName("blk.0.attn_k_norm.weight"), "model.layers.0.self_attn.k_norm.weight")
        XCTAssertNil(hfTensorName("blk.0.ffn_up.bias"))
        XCTAssertEqual(ggufName("model.layers.2.self_attn.q_proj.bias"), "blk.2.attn_q.bias")
        XCTAssertEqual(ggufName("model.layers.7.mlp.down_proj.weight"), "blk.7.ffn_down.weight")
    }
}

/// A GGUF's config.json as Foundation values.
func configDictionary(_ m: GGUFLlama) throws -> [String: Any] {
    try XCTUnwrap(JSONSerialization.jsonObject(with: Data(m.configText().utf8)) as? [String: Any])
}

/// Our config value against a JSON-parsed one: numbers by value, bools, strings.
func sameJSONValue(_ a: Any, _ b: Any) -> Bool {
    if let x = a as? Bool { return x == ((b as? Bool) ?? (b as? NSNumber)?.boolValue) }
    func num(_ v: Any) -> Double? {
        if let i = v as? Int { return Double(i) }
        if let d = v as? Double { return d }
        return (v as? NSNumber)?.doubleValue
    }
    if let x = num(a), let y = num(b) { return x == y }
    if let x = a as? String { return x == b as? String }
    return false
}
