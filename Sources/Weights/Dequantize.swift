// ggml tensor types and their dequantization to f32, block by block, with the float operations in the same
// order as ggml's dequantize_row_* (ggml-quants.c) and gguf-py's gguf/quants.py (which agree), so the
// results are bit-identical to gguf-py's numpy values. Each kernel is a tight loop over raw bytes.
//
// Block layouts (bytes; d, dmin, m are f16; QK_K = 256):
//   Q4_0  d | qs[16]                       x = d * (nibble - 8)
//   Q4_1  d | m | qs[16]                   x = d * nibble + m
//   Q5_0  d | qh[4] | qs[16]               x = d * ((nibble | hbit << 4) - 16)
//   Q5_1  d | m | qh[4] | qs[16]           x = d * (nibble | hbit << 4) + m
//   Q8_0  d | qs[32] (int8)                x = q * d
//   Q2_K  scales[16] | qs[64] | d | dmin   x = (d * (sc & 15)) * q2 - dmin * (sc >> 4), 16 groups of 16
//   Q3_K  hmask[32] | qs[64] | scales[12] | d        x = (d * (sc6 - 32)) * (q2 - (hbit ? 0 : 4))
//   Q4_K  d | dmin | scales[12] | qs[128]            x = (d * sc) * q4 - dmin * m, 8 groups of 32
//   Q5_K  d | dmin | scales[12] | qh[32] | qs[128]   x = (d * sc) * q5 - dmin * m
//   Q6_K  ql[128] | qh[64] | scales[16] (int8) | d   x = (d * sc) * (q6 - 32), 16 groups of 16
import Foundation

public enum GGMLType: UInt32, CaseIterable, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    /// Elements per block and bytes per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return 256
        }
    }
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }
    public var name: String { ggmlTypeName(rawValue) }
}

/// ggml's name for a type number, including the types this reader does not dequantize.
public func ggmlTypeName(_ raw: UInt32) -> String {
    let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 4: "Q4_2", 5: "Q4_3", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
        10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS",
        18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16",
        26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4", 40: "NVFP4",
        41: "Q1_0",
    ]
    return names[raw] ?? "unknown type \(raw)"
}

/// f16 bit pattern -> f32, exact (subnormals, infinities and NaNs included), as one table lookup.
let f16Table: UnsafeMutablePointer<Float> = {
    let t = UnsafeMutablePointer<Float>.allocate(capacity: 65536)
    for h in 0..<65536 { t[h] = halfToFloat(UInt16(h)) }
    return t
}()

/// IEEE half -> single by bit manipulation (exact; no Float16 type needed, so it builds everywhere).
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31, exp = Int((h >> 10) & 0x1F), man = UInt32(h & 0x3FF)
    if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | man << 13) }   // inf / NaN (payload kept)
    if exp != 0 { return Float(bitPattern: sign | UInt32(exp + 112) << 23 | man << 13) }
    // zero or subnormal: man * 2^-24, exact in f32
    let v = Float(man) * Float(bitPattern: 0x3380_0000)
    return Float(bitPattern: sign | v.bitPattern)
}

@inline(__always) func u16(_ p: UnsafeRawPointer, _ off: Int) -> UInt16 { p.loadUnaligned(fromByteOffset: off, as: UInt16.self) }
@inline(__always) func u8(_ p: UnsafeRawPointer, _ off: Int) -> UInt8 { p.load(fromByteOffset: off, as: UInt8.self) }

/// Dequantize `rows` rows of `rowLength` elements of type t from src into dst (rows * rowLength floats).
public func dequantizeRows(_ t: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, rows: Int, rowLength: Int) {
    let nb = rows * rowLength / t.blockSize
    let h = f16Table
    let s = src.assumingMemoryBound(to: UInt8.self)
    var y = dst
    switch t {
    case .f32:
        UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: nb * 4)
    case .f16:
        for i in 0..<nb { y[i] = h[Int(u16(src, 2 * i))] }
    case .bf16:
        for i in 0..<nb { y[i] = Float(bitPattern: UInt32(u16(src, 2 * i)) << 16) }
    case .q4_0:
        for b in 0..<nb {
            let p = src + b * 18, q = s + b * 18 + 2
            let d = h[Int(u16(p, 0))]
            for j in 0..<16 {
                y[j] = d * Float(Int32(q[j] & 0x0F) - 8)
                y[j + 16] = d * Float(Int32(q[j] >> 4) - 8)
            }
            y += 32
        }
    case .q4_1:
        for b in 0..<nb {
            let p = src + b * 20, q = s + b * 20 + 4
            let d = h[Int(u16(p, 0))], m = h[Int(u16(p, 2))]
            for j in 0..<16 {
                y[j] = d * Float(q[j] & 0x0F) + m
                y[j + 16] = d * Float(q[j] >> 4) + m
            }
            y += 32
        }
    case .q5_0:
        for b in 0..<nb {
            let p = src + b * 22, q = s + b * 22 + 6
            let d = h[Int(u16(p, 0))]
            let qh = p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            for j in 0..<16 {
                let lo = UInt32(q[j] & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
                let hi = UInt32(q[j] >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(Int32(lo) - 16)
                y[j + 16] = d * Float(Int32(hi) - 16)
            }
            y += 32
        }
    case .q5_1:
        for b in 0..<nb {
            let p = src + b * 24, q = s + b * 24 + 8
            let d = h[Int(u16(p, 0))], m = h[Int(u16(p, 2))]
            let qh = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            for j in 0..<16 {
                let lo = UInt32(q[j] & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
                let hi = UInt32(q[j] >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(lo) + m
                y[j + 16] = d * Float(hi) + m
            }
            y += 32
        }
    case .q8_0:
        for b in 0..<nb {
            let p = src + b * 34, q = s + b * 34 + 2
            let d = h[Int(u16(p, 0))]
            for j in 0..<32 { y[j] = Float(Int8(bitPattern: q[j])) * d }
            y += 32
        }
    case .q2_K:
        for b in 0..<nb {
            let sc = s + b * 84, qs = sc + 16
            let d = h[Int(u16(src, b * 84 + 80))], dmin = h[Int(u16(src, b * 84 + 82))]
            for n in 0..<2 {                       // two halves of 128
                let q = qs + 32 * n
                for k in 0..<4 {                   // bit pair k: elements 32k..32k+31 of the half
                    let shift = UInt8(2 * k)
                    for g in 0..<2 {               // two groups of 16, each with its own scale
                        let scale = sc[8 * n + 2 * k + g]
                        let dl = d * Float(scale & 0x0F), ml = dmin * Float(scale >> 4)
                        let o = 128 * n + 32 * k + 16 * g
                        for l in 0..<16 { y[o + l] = dl * Float((q[16 * g + l] >> shift) & 3) - ml }
                    }
                }
            }
            y += 256
        }
    case .q3_K:
        for b in 0..<nb {
            let hm = s + b * 110, qs = hm + 32, sc = hm + 96
            let d = h[Int(u16(src, b * 110 + 108))]
            var dl = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                      Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
            withUnsafeMutableBytes(of: &dl) { raw in
                let f = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                for k in 0..<16 {                  // 6-bit scales: low 4 bits from bytes 0-7, high 2 from 8-11
                    let lo = (sc[k % 8] >> UInt8(4 * (k / 8))) & 0x0F
                    let hi = (sc[8 + k % 4] >> UInt8(2 * (k / 4))) & 3
                    f[k] = d * Float(Int32(lo | hi << 4) - 32)
                }
                for i in 0..<256 {
                    let n = i >> 7, k = (i >> 5) & 3, l = i & 31
                    let q2 = Int32((qs[32 * n + l] >> UInt8(2 * k)) & 3)
                    let hbit = (hm[l] >> UInt8(i >> 5)) & 1
                    y[i] = f[i >> 4] * Float(q2 - (hbit == 0 ? 4 : 0))
                }
            }
            y += 256
        }
    case .q4_K, .q5_K:
        let bytes = t == .q4_K ? 144 : 176
        for b in 0..<nb {
            let p = s + b * bytes, sc = p + 4
            let qh = p + 16, qs = t == .q4_K ? p + 16 : p + 48
            let d = h[Int(u16(src, b * bytes))], dmin = h[Int(u16(src, b * bytes + 2))]
            for j in 0..<8 {                       // 8 groups of 32: scale and min are 6 bits each
                let scale: UInt8, mn: UInt8
                if j < 4 { scale = sc[j] & 63; mn = sc[j + 4] & 63 }
                else { scale = (sc[j + 4] & 0x0F) | ((sc[j - 4] >> 2) & 0x30); mn = (sc[j + 4] >> 4) | ((sc[j] >> 2) & 0x30) }
                let dl = d * Float(scale), ml = dmin * Float(mn)
                let q = qs + 32 * (j >> 1), shift = UInt8(4 * (j & 1))
                let o = 32 * j
                if t == .q4_K {
                    for l in 0..<32 { y[o + l] = dl * Float((q[l] >> shift) & 0x0F) - ml }
                } else {
                    let hs = UInt8(j)
                    for l in 0..<32 { y[o + l] = dl * Float(((q[l] >> shift) & 0x0F) | ((qh[l] >> hs) & 1) << 4) - ml }
                }
            }
            y += 256
        }
    case .q6_K:
        for b in 0..<nb {
            let ql = s + b * 210, qh = ql + 128, sc = ql + 192
            let d = h[Int(u16(src, b * 210 + 208))]
            for n in 0..<2 {                       // two halves of 128
                for k in 0..<4 {                   // elements 32k..32k+31 of the half
                    let lq = ql + 64 * n + 32 * (k & 1), lshift = UInt8(4 * (k >> 1))
                    let hq = qh + 32 * n, hshift = UInt8(2 * k)
                    for g in 0..<2 {
                        let dl = d * Float(Int8(bitPattern: sc[8 * n + 2 * k + g]))
                        let o = 128 * n + 32 * k + 16 * g
                        for l in 16 * g..<16 * g + 16 {
                            let q = Int32(((lq[l] >> lshift) & 0x0F) | ((hq[l] >> hshift) & 3) << 4) - 32
                            y[o + l - 16 * g] = dl * Float(q)
                        }
                    }
                }
            }
            y += 256
        }
    }
}
