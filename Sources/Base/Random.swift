// Seeded randomness shared by every library. Outputs depend only on the seed and the data.

/// SplitMix64: a small, fast, well-mixed generator; the same seed gives the same stream on every machine.
/// Used directly where a plain stream is enough (model initialisation, bootstrap resampling) and to seed
/// SeededRandom.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix64(state)
    }

    /// A uniform Double in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<bound without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func below(_ bound: Int) -> Int {
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let t = (0 &- b) % b
            while m.low < t { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }
}

/// xoshiro256** seeded through SplitMix64: fast, well tested, and the same on every platform.
public struct SeededRandom: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var g = SplitMix64(seed: seed)
        s = (g.next(), g.next(), g.next(), g.next())
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
