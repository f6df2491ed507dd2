// Seeded randomness and hashing shared by the tools. Outputs depend only on the seed and the data.

/// xoshiro256** seeded through SplitMix64: fast, well tested, and the same on every platform.
public struct SeededRandom: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E3779B97F4A7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// A generator for one of many independent streams (e.g. per source or per sample) under one seed.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: mix64(seed ^ mix64(stream &+ 0x632BE59BD9B4E019)))
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    /// A uniform Double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// A strong 64-bit finalizer (SplitMix64's).
@inline(__always) public func mix64(_ v: UInt64) -> UInt64 {
    var z = v
    z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
    return z ^ (z >> 31)
}

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
        var h1: UInt64 = 0x243F6A8885A308D3 ^ seed
        var h2: UInt64 = 0x13198A2E03707344 &+ seed
        var word: UInt64 = 0, n = 0, total: UInt64 = 0
        @inline(__always) func absorb(_ w: UInt64) {
            let m1 = (h1 ^ w).multipliedFullWidth(by: 0xA0761D6478BD642F)
            h1 = m1.high ^ m1.low
            let m2 = (h2 ^ w ^ 0xE7037ED1A0B428DB).multipliedFullWidth(by: 0x8EBC6AF09C88C6E3)
            h2 = m2.high ^ m2.low
        }
        for byte in bytes {
            word |= UInt64(byte) << (8 * UInt64(n))
            n += 1; total += 1
            if n == 8 { absorb(word); word = 0; n = 0 }
        }
        absorb(word ^ (total << 56))
        a = mix64(h1 ^ total); b = mix64(h2 &+ h1)
    }

    init(contiguous p: UnsafeRawBufferPointer, seed: UInt64) {
        var h1: UInt64 = 0x243F6A8885A308D3 ^ seed
        var h2: UInt64 = 0x13198A2E03707344 &+ seed
        @inline(__always) func absorb(_ w: UInt64) {
            let m1 = (h1 ^ w).multipliedFullWidth(by: 0xA0761D6478BD642F)
            h1 = m1.high ^ m1.low
            let m2 = (h2 ^ w ^ 0xE7037ED1A0B428DB).multipliedFullWidth(by: 0x8EBC6AF09C88C6E3)
            h2 = m2.high ^ m2.low
        }
        let n = p.count
        var i = 0
        while i + 8 <= n { absorb(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))); i += 8 }
        var word: UInt64 = 0
        var k: UInt64 = 0
        while i < n { word |= UInt64(p[i]) << (8 * k); i += 1; k += 1 }
        let total = UInt64(n)
        absorb(word ^ (total << 56))
        a = mix64(h1 ^ total); b = mix64(h2 &+ h1)
    }
}
