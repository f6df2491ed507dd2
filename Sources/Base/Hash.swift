// Hashing: Hash128 for dedup sets and random streams, FNV-1a for short stable fingerprints and seeds.

/// A 128-bit hash of bytes: two independently keyed 64-bit lanes, so dedup sets can keep hashes instead
/// of whole texts (collision odds ~ n² / 2^129).
public struct Hash128: Hashable {
    public var a: UInt64
    public var b: UInt64

    public init<C: Collection>(_ bytes: C, seed: UInt64 = 0) where C.Element == UInt8 {
        // Contiguous bytes (arrays, Data, slices): whole 8-byte words at a time, the same result.
        if let h = bytes.withContiguousStorageIfAvailable({ Hash128(contiguous: UnsafeRawBufferPointer($0), seed: seed) }) {
            self = h
            return
        }
        var s = Hash128.State(seed: seed)
        var word: UInt64 = 0, n = 0, total: UInt64 = 0
        for byte in bytes {
            word |= UInt64(byte) << (8 * UInt64(n))
            n += 1; total += 1
            if n == 8 { s.absorb(word); word = 0; n = 0 }
        }
        self = s.finish(lastWord: word, total: total)
    }

    init(contiguous p: UnsafeRawBufferPointer, seed: UInt64) {
        var s = Hash128.State(seed: seed)
        let n = p.count
        var i = 0
        while i + 8 <= n { s.absorb(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))); i += 8 }
        var word: UInt64 = 0
        var k: UInt64 = 0
        while i < n { word |= UInt64(p[i]) << (8 * k); i += 1; k += 1 }
        self = s.finish(lastWord: word, total: UInt64(n))
    }

    private init(a: UInt64, b: UInt64) { self.a = a; self.b = b }

    /// The two lanes while bytes are absorbed, 8 little-endian bytes per word.
    private struct State {
        var h1: UInt64, h2: UInt64
        init(seed: UInt64) { h1 = 0x243F6A8885A308D3 ^ seed; h2 = 0x13198A2E03707344 &+ seed }

        @inline(__always) mutating func absorb(_ w: UInt64) {
            let m1 = (h1 ^ w).multipliedFullWidth(by: 0xA0761D6478BD642F)
            h1 = m1.high ^ m1.low
            let m2 = (h2 ^ w ^ 0xE7037ED1A0B428DB).multipliedFullWidth(by: 0x8EBC6AF09C88C6E3)
            h2 = m2.high ^ m2.low
        }

        /// Absorbs the last partial word (the byte count in its top byte) and finalizes both lanes.
        @inline(__always) mutating func finish(lastWord: UInt64, total: UInt64) -> Hash128 {
            absorb(lastWord ^ (total << 56))
            return Hash128(a: mix64(h1 ^ total), b: mix64(h2 &+ h1))
        }
    }
}

/// 64-bit FNV-1a. `absorb` takes one value per step (a byte, or a whole token or word where the caller
/// fingerprints numbers), so one routine serves string hashes and data fingerprints.
public struct FNV1a: Hashable, Sendable {
    public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01B3
    public var value: UInt64
    public init(value: UInt64 = FNV1a.offsetBasis) { self.value = value }
    @inline(__always) public mutating func absorb(_ v: UInt64) { value = (value ^ v) &* FNV1a.prime }
}

/// FNV-1a over UTF-8 bytes: a stable string hash for deriving seeds from names.
public func stableHash(_ s: String) -> UInt64 {
    var h = FNV1a()
    for b in s.utf8 { h.absorb(UInt64(b)) }
    return h.value
}
