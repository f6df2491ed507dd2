// The BPE model: a pre-token's characters become vocabulary ids (with byte fallback or <unk> for unknown
// ones), then the adjacent pair of lowest merge rank is merged, leftmost first, until no pair has a merge
// (the library's priority-queue order, which is exactly this). Results are cached per pre-token.
import Foundation
import Streams

struct Merge { var rank: Int32; var new: Int32 }

final class BPE: @unchecked Sendable {
    /// Token text (UTF-8) by id, and id by text.
    let tokens: [[UInt8]]
    let vocab: ByteTable
    let merges: [UInt64: Merge]
    let unk: Int32?
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let prefix: [UInt8]
    let suffix: [UInt8]
    /// <0xXX> ids for byte fallback (-1 where absent).
    let fallbackIds: [Int32]
    /// Raw-byte mode: pre-tokens arrive as raw bytes rather than ByteLevel's characters (the mapping is
    /// folded into these tables, saving the transform). byteIds[b] is the id of b's character.
    private(set) var rawMode = false
    private(set) var byteIds = [Int32](repeating: -1, count: 256)
    private(set) var rawVocab = ByteTable()

    init(_ n: Node) throws {
        let vocabNode = try n.required("vocab")
        var pairs: [(String, Int)] = []
        for (k, v) in try vocabNode.members() { pairs.append((k, try v.int())) }
        let size = (pairs.map(\.1).max() ?? -1) + 1
        // Ids index a dense table (and the model's embedding rows): an id far past the number of tokens is a
        // broken file, not a reason to allocate gigabytes (found by fuzzing: an id of 10^12 ran out of memory).
        if size > 2 * pairs.count + 256, let (k, i) = pairs.first(where: { $0.1 == size - 1 }) {
            throw vocabNode.error("id \(i) for \(k.debugDescription) is far past the vocabulary's \(pairs.count) tokens")
        }
        var toks = [[UInt8]](repeating: [], count: size)
        var table = ByteTable(capacity: pairs.count)
        for (k, i) in pairs {
            guard i >= 0 else { throw vocabNode.error("negative id \(i) for \(k.debugDescription)") }
            let b = Array(k.utf8); toks[i] = b; table.set(b, Int32(i))
        }
        tokens = toks; vocab = table
        unk = try n.optionalString("unk_token").map { u in
            guard let id = table.get(Array(u.utf8)) else { throw try n.required("unk_token").error("\(u.debugDescription) is not in the vocabulary") }
            return id
        }
        fuseUnk = try n.bool("fuse_unk", default: false)
        byteFallback = try n.bool("byte_fallback", default: false)
        ignoreMerges = try n.bool("ignore_merges", default: false)
        prefix = Array((try n.optionalString("continuing_subword_prefix") ?? "").utf8)
        suffix = Array((try n.optionalString("end_of_word_suffix") ?? "").utf8)
        if let d = n.child("dropout"), let p = d.value.double, p > 0 { throw d.error("dropout \(p) is not supported (encoding must be deterministic)") }
        var fb = [Int32](repeating: -1, count: 256)
        for b in 0..<256 { fb[b] = table.get(Array(String(format: "<0x%02X>", b).utf8)) ?? -1 }
        fallbackIds = fb

        var m: [UInt64: Merge] = [:]
        let mergesNode = try n.required("merges")
        let items = try mergesNode.items()
        m.reserveCapacity(items.count)
        let prefixLen = prefix.count
        for (rank, item) in items.enumerated() {
            let a: String, b: String
            if let s = item.value.string {  // "a b"
                let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw item.error("merge \(s.debugDescription) is not two tokens separated by a space") }
                a = String(parts[0]); b = String(parts[1])
            } else if let arr = item.value.array, arr.count == 2, let x = arr[0].string, let y = arr[1].string {
                a = x; b = y
            } else { throw item.error("expected \"a b\" or [\"a\", \"b\"]") }
            let ab = Array(a.utf8), bb = Array(b.utf8)
            guard let ia = table.get(ab) else { throw item.error("\(a.debugDescription) is not in the vocabulary") }
            guard let ib = table.get(bb) else { throw item.error("\(b.debugDescription) is not in the vocabulary") }
            // The merged token drops b's continuing-subword prefix, as the library builds it.
            let tail = prefixLen > 0 && bb.starts(with: prefix) ? Array(bb[prefixLen...]) : bb
            guard let inew = table.get(ab + tail) else { throw item.error("merged token \(String(decoding: ab + tail, as: UTF8.self).debugDescription) is not in the vocabulary") }
            m[UInt64(UInt32(ia)) << 32 | UInt64(UInt32(ib))] = Merge(rank: Int32(rank), new: inew)
        }
        merges = m
    }

    var size: Int { tokens.count }

    /// Whether a character can fall out of the encoding: no <unk>, and no byte piece for some byte. The library
    /// drops such a character silently; st refuses the text instead (HFTokenizer.encodeChecked).
    var canDrop: Bool {
        unk == nil && (rawMode ? byteIds.contains(-1) : !(byteFallback && !fallbackIds.contains(-1)))
    }

    /// The first character of pre-token p that tokenize drops (nil: none), found as tokenize finds symbols.
    func dropped(_ p: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard unk == nil, p.count > 0 else { return nil }
        if ignoreMerges, (rawMode ? rawVocab : vocab).get(p.baseAddress!, p.count) != nil { return nil }
        if rawMode {
            for i in 0..<p.count where byteIds[Int(p[i])] < 0 { return [p[i]] }
            return nil
        }
        var i = 0
        var s: [UInt8] = []
        while i < p.count {
            let l = symbolText(p, at: i, into: &s)
            if vocab.get(s) == nil && !(byteFallback && s.allSatisfy({ fallbackIds[Int($0)] >= 0 })) { return Array(p[i..<(i + l)]) }
            i += l
        }
        return nil
    }

    /// Switches to raw-byte input: valid when ByteLevel's mapping is the last pre-tokenizer step and no
    /// per-character decoration (prefix, suffix, byte fallback) depends on the mapped text.
    func enableRawMode() -> Bool {
        guard prefix.isEmpty && suffix.isEmpty && !byteFallback else { return false }
        let charBytes = byteLevelCharToByte
        var raw = ByteTable(capacity: tokens.count)
        for (id, t) in tokens.enumerated() where !t.isEmpty {
            var bytes: [UInt8] = [], ok = true
            for u in String(decoding: t, as: UTF8.self).unicodeScalars {
                guard let b = charBytes[u.value] else { ok = false; break }
                bytes.append(b)
            }
            if ok { raw.set(bytes, Int32(id)) }
        }
        // byteIds must agree with what the vocabulary table holds for each byte's character.
        for b in 0..<256 { byteIds[b] = vocab.get(byteLevelChars[b]) ?? -1 }
        rawVocab = raw
        rawMode = true
        return true
    }

    /// Appends the ids of one pre-token.
    func tokenize(_ p: UnsafeBufferPointer<UInt8>, into out: inout [Int32], scratch: inout [Int32]) {
        let n = p.count
        if n == 0 { return }
        if ignoreMerges, let id = (rawMode ? rawVocab : vocab).get(p.baseAddress!, n) { out.append(id); return }
        scratch.removeAll(keepingCapacity: true)
        if rawMode {
            var pendingUnk: Int32? = nil
            for i in 0..<n {
                let id = byteIds[Int(p[i])]
                if id >= 0 {
                    if let u = pendingUnk { scratch.append(u); pendingUnk = nil }
                    scratch.append(id)
                } else if let u = unk {
                    if pendingUnk != nil && !fuseUnk { scratch.append(u) }
                    pendingUnk = u
                }
            }
            if let u = pendingUnk { scratch.append(u) }
        } else {
            symbols(p, into: &scratch)
        }
        mergeAll(&scratch)
        out.append(contentsOf: scratch)
    }

    /// The text of the symbol for the character at byte i of pre-token p (with the continuing-subword prefix
    /// after the first, the end-of-word suffix on the last) into s; returns the character's length in bytes.
    @inline(__always) private func symbolText(_ p: UnsafeBufferPointer<UInt8>, at i: Int, into s: inout [UInt8]) -> Int {
        let (_, l) = scalarAt(p, i)
        s.removeAll(keepingCapacity: true)
        if i > 0 { s.append(contentsOf: prefix) }
        s.append(contentsOf: p[i..<(i + l)])
        if i + l == p.count { s.append(contentsOf: suffix) }
        return l
    }

    /// Initial symbols of a (non-raw) pre-token, character by character.
    private func symbols(_ p: UnsafeBufferPointer<UInt8>, into syms: inout [Int32]) {
        var pendingUnk: Int32? = nil
        var i = 0
        var s: [UInt8] = []
        while i < p.count {
            let l = symbolText(p, at: i, into: &s)
            i += l
            if let id = vocab.get(s) {
                if let u = pendingUnk { syms.append(u); pendingUnk = nil }
                syms.append(id)
                continue
            }
            if byteFallback, s.allSatisfy({ fallbackIds[Int($0)] >= 0 }) {
                // The library adds byte tokens without flushing a pending <unk> first; keep its order.
                for b in s { syms.append(fallbackIds[Int(b)]) }
                continue
            }
            if let u = unk {
                if pendingUnk != nil && !fuseUnk { syms.append(u) }
                pendingUnk = u
            }
        }
        if let u = pendingUnk { syms.append(u) }
    }

    @inline(__always) private func merge(_ a: Int32, _ b: Int32) -> Merge? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    /// Merges in place: repeatedly the lowest-rank pair, leftmost among equals.
    func mergeAll(_ syms: inout [Int32]) {
        let n = syms.count
        if n < 2 { return }
        if n > 48 { mergeLong(&syms); return }
        // Short words: a rank per adjacent pair, scanned for the minimum each round.
        withUnsafeTemporaryAllocation(of: Merge.self, capacity: n) { r in
            let none = Merge(rank: .max, new: -1)
            for i in 0..<(n - 1) { r[i] = merge(syms[i], syms[i + 1]) ?? none }
            var count = n
            syms.withUnsafeMutableBufferPointer { s in
                while count > 1 {
                    var best = 0
                    for i in 1..<(count - 1) where r[i].rank < r[best].rank { best = i }
                    if r[best].rank == .max { break }
                    s[best] = r[best].new
                    // Remove s[best + 1] and r[best] (its pair is gone), then recompute the two neighbours.
                    var k = best + 1
                    while k < count - 1 { s[k] = s[k + 1]; k += 1 }
                    k = best
                    while k < count - 2 { r[k] = r[k + 1]; k += 1 }
                    count -= 1
                    if best > 0 { r[best - 1] = merge(s[best - 1], s[best]) ?? none }
                    if best < count - 1 { r[best] = merge(s[best], s[best + 1]) ?? none }
                }
            }
            syms.removeLast(n - count)
        }
    }

    /// Long words: a linked list and a binary heap of (rank, position), as the library does.
    private func mergeLong(_ syms: inout [Int32]) {
        let n = syms.count
        var prev = (0..<n).map { $0 - 1 }, next = (0..<n).map { $0 + 1 }
        var alive = [Bool](repeating: true, count: n)
        var heap = Heap()
        for i in 0..<(n - 1) { if let m = merge(syms[i], syms[i + 1]) { heap.push(m.rank, Int32(i), m.new) } }
        while let (rank, pos32, new) = heap.pop() {
            _ = rank
            let pos = Int(pos32)
            guard alive[pos], next[pos] < n else { continue }
            let right = next[pos]
            guard let m = merge(syms[pos], syms[right]), m.new == new else { continue }
            syms[pos] = new
            alive[right] = false
            next[pos] = next[right]
            if next[right] < n { prev[next[right]] = pos }
            if prev[pos] >= 0, let m = merge(syms[prev[pos]], syms[pos]) { heap.push(m.rank, Int32(prev[pos]), m.new) }
            if next[pos] < n, let m = merge(syms[pos], syms[next[pos]]) { heap.push(m.rank, Int32(pos), m.new) }
        }
        var out: [Int32] = []
        var i = 0
        while i < n { out.append(syms[i]); i = next[i] }
        syms = out
    }
}

/// Min-heap on (rank, position).
struct Heap {
    var items: [(Int32, Int32, Int32)] = []
    @inline(__always) static func less(_ a: (Int32, Int32, Int32), _ b: (Int32, Int32, Int32)) -> Bool {
        a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
    }
    mutating func push(_ rank: Int32, _ pos: Int32, _ new: Int32) {
        items.append((rank, pos, new))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !Heap.less(items[i], items[p]) { break }
            items.swapAt(i, p); i = p
        }
    }
    mutating func pop() -> (Int32, Int32, Int32)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && Heap.less(items[l], items[m]) { m = l }
                if r < items.count && Heap.less(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m); i = m
            }
        }
        return top
    }
}

/// GPT-2's byte-to-character table: printable bytes map to themselves, the rest to U+0100 onwards.
let byteLevelCharValues: [UInt32] = {
    var bs: [Int] = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
    var cs = bs.map { UInt32($0) }
    var n: UInt32 = 0
    for b in 0..<256 where !bs.contains(b) { bs.append(b); cs.append(256 + n); n += 1 }
    var table = [UInt32](repeating: 0, count: 256)
    for (b, c) in zip(bs, cs) { table[b] = c }
    return table
}()
/// UTF-8 of each byte's character.
let byteLevelChars: [[UInt8]] = byteLevelCharValues.map { Array(String(Unicode.Scalar($0)!).utf8) }
let byteLevelCharToByte: [UInt32: UInt8] = {
    var d: [UInt32: UInt8] = [:]
    for (b, c) in byteLevelCharValues.enumerated() { d[c] = UInt8(b) }
    return d
}()
