// An open-addressing hash table from byte strings to Int32, with keys stored in one arena: lookups hash the
// caller's bytes in place, so the hot path (vocabulary and cache lookups per pre-token) allocates nothing.

struct ByteTable {
    private var slots: [Int32]          // entry index + 1, 0 = empty
    private var hashes: [UInt64] = []
    private var keyStart: [Int32] = []
    private var keyLength: [Int32] = []
    private(set) var values: [Int32] = []
    private var arena: [UInt8] = []
    private var mask: Int

    init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: 0, count: n)
        mask = n - 1
    }

    var count: Int { values.count }
    var arenaBytes: Int { arena.count }

    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0x100000001b3
            h ^= h >> 29
            i += 8
        }
        while i < n { h = (h ^ UInt64(p[i])) &* 0x100000001b3; i += 1 }
        return h ^ (h >> 32)
    }

    func get(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        let h = ByteTable.hash(p, n)
        var s = Int(truncatingIfNeeded: h) & mask
        return arena.withUnsafeBufferPointer { a in
            while true {
                let e = Int(slots[s]) - 1
                if e < 0 { return nil }
                if hashes[e] == h && Int(keyLength[e]) == n
                    && (n == 0 || memcmp(a.baseAddress! + Int(keyStart[e]), p, n) == 0) { return values[e] }
                s = (s + 1) & mask
            }
        }
    }

    func get(_ key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { get($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
    }

    /// Inserts or replaces.
    mutating func set(_ p: UnsafePointer<UInt8>, _ n: Int, _ value: Int32) {
        let h = ByteTable.hash(p, n)
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[s]) - 1
            if e < 0 { break }
            let same = hashes[e] == h && Int(keyLength[e]) == n && arena.withUnsafeBufferPointer {
                n == 0 || memcmp($0.baseAddress! + Int(keyStart[e]), p, n) == 0
            }
            if same { values[e] = value; return }
            s = (s + 1) & mask
        }
        slots[s] = Int32(values.count + 1)
        hashes.append(h); keyStart.append(Int32(arena.count)); keyLength.append(Int32(n)); values.append(value)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        if values.count * 2 > slots.count { grow() }
    }

    mutating func set(_ key: [UInt8], _ value: Int32) {
        key.withUnsafeBufferPointer { set($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count, value) }
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = [Int32](repeating: 0, count: n)
        mask = n - 1
        for e in 0..<values.count {
            var s = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[s] != 0 { s = (s + 1) & mask }
            slots[s] = Int32(e + 1)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
