// st-mix: weighted, seeded mixtures of JSON Lines sources.
//
// With a total N: each source's count is N × weight / Σweights, rounded by largest remainder (ties to the
// earlier source). A source gives that many records drawn uniformly without replacement (bottom-k by a
// seeded priority, so the choice does not depend on reading order); when it has fewer and replacement is
// allowed, every record is taken once and the rest drawn uniformly with replacement. The drawn records are
// then shuffled together exactly (Fisher–Yates).
//
// Without a total: every record of every source once. When all of them fit in the shuffle buffer the
// shuffle is exact. Otherwise the sources are interleaved at random in proportion to their remaining
// record counts (counted in a first pass) and pass through a buffer of B records from which each output
// is drawn uniformly: a record can move at most about B positions from its place in that interleaving.
#if canImport(Glibc)
import Glibc
#endif
import Streams

public struct MixSource {
    public var path: String
    public var weight: Double
    public init(path: String, weight: Double) { self.path = path; self.weight = weight }

    /// Parses `PATH[:WEIGHT]`. A suffix after the last ':' is the weight, unless the whole spec names an
    /// existing file (a path with a colon in it); a suffix that is not a number is then an error, not a path.
    public static func parse(_ spec: String, fileExists: (String) -> Bool = { access($0, F_OK) == 0 }) throws -> MixSource {
        guard let colon = spec.lastIndex(of: ":"), spec != "-", !fileExists(spec) else { return MixSource(path: spec, weight: 1) }
        let text = spec[spec.index(after: colon)...]
        guard let w = Double(text) else {
            throw ToolInputError("\(spec): the weight '\(text)' is not a number (give PATH or PATH:WEIGHT)")
        }
        guard w.isFinite, w >= 0 else { throw ToolInputError("\(spec): the weight must be a finite number ≥ 0") }
        return MixSource(path: String(spec[..<colon]), weight: w)
    }
}

public struct MixSpec {
    public var sources: [MixSource]
    public var total: Int?
    public var replacement = false
    public var tag: String?
    /// Whether --tag may replace a field the records already have (otherwise that is an error).
    public var overwriteTag = false
    public var bufferRecords = 1_000_000
    public var seed: UInt64 = 0
    public var skipBad = false
    public init(sources: [MixSource]) { self.sources = sources }
}

public struct MixReport {
    /// Records written per source, in source order.
    public var written: [Int]
    /// Records each source held (when it was read through).
    public var available: [Int?]
    public var exactShuffle: Bool
}

public final class Mixer {
    let spec: MixSpec
    let writer: JSONLWriter
    let progress: Progress?

    public init(spec: MixSpec, writer: JSONLWriter, progress: Progress? = nil) {
        self.spec = spec; self.writer = writer; self.progress = progress
    }

    public func run() throws -> MixReport {
        if let total = spec.total { return try drawTotal(total) }
        return try shuffleAll()
    }

    private func reader(_ i: Int) throws -> JSONLReader {
        try JSONLReader(paths: [spec.sources[i].path], skipBad: spec.skipBad, allowEmpty: true)
    }

    /// The next record of a source; a record that already has the --tag field stops the mix unless
    /// overwriting was asked for, since the field's old value would be lost without a word.
    private func next(_ r: JSONLReader) throws -> JSONRecord? {
        guard let rec = try r.next() else { return nil }
        if let tag = spec.tag, !spec.overwriteTag, rec[tag] != nil {
            throw ToolInputError("\(r.file):\(r.line): the record already has a field '\(tag)' that --tag would replace (give --overwrite-tag to allow it, or another --tag)")
        }
        return rec
    }

    private func write(_ r: JSONRecord, source i: Int) throws {
        if let tag = spec.tag {
            try writer.write(r, setting: [(tag, .string(spec.sources[i].path))])
        } else {
            try writer.write(r)
        }
    }

    /// Largest-remainder apportionment of `total` by weight.
    static func apportion(_ total: Int, _ weights: [Double]) throws -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0 else { throw ToolInputError("the weights add up to 0") }
        let exact = weights.map { Double(total) * $0 / sum }
        var counts = exact.map { Int($0.rounded(.down)) }
        var left = total - counts.reduce(0, +)
        let order = exact.indices.sorted { (exact[$0] - Double(counts[$0]), -$0) > (exact[$1] - Double(counts[$1]), -$1) }
        for i in order where left > 0 { counts[i] += 1; left -= 1 }
        return counts
    }

    private func drawTotal(_ total: Int) throws -> MixReport {
        let counts = try Mixer.apportion(total, spec.sources.map(\.weight))
        var drawn: [(source: Int, record: JSONRecord)] = []
        drawn.reserveCapacity(total)
        var available: [Int?] = []
        for (i, want) in counts.enumerated() {
            var rng = SeededRandom(seed: spec.seed, stream: UInt64(i))
            let r = try reader(i)
            // Bottom-k: keep the `want` records with the smallest priorities, in a sorted array.
            var kept: [(UInt64, Int, JSONRecord)] = []
            var all: [JSONRecord] = []
            var n = 0
            var sorted = false
            while let rec = try next(r) {
                let priority = rng.next()
                if spec.replacement { all.append(rec.copy()) }
                if want > 0 {
                    if kept.count < want { kept.append((priority, n, rec.copy())) }
                    else {
                        if !sorted { kept.sort { $0.0 < $1.0 }; sorted = true }
                        if priority < kept[want - 1].0 {
                            // insert in order, drop the largest
                            let pos = kept.firstIndex { $0.0 > priority } ?? want - 1
                            kept.insert((priority, n, rec.copy()), at: pos)
                            kept.removeLast()
                        }
                    }
                }
                n += 1
            }
            available.append(n)
            if n < want {
                guard spec.replacement else {
                    throw ToolInputError("\(spec.sources[i].path): has \(n) records but \(want) were asked for (use --replacement to draw with replacement, or lower --total)")
                }
                guard n > 0 else { throw ToolInputError("\(spec.sources[i].path): has no records to draw from") }
                for rec in all { drawn.append((i, rec)) }
                for _ in 0..<(want - n) { drawn.append((i, all[Int(rng.next() % UInt64(n))])) }
            } else {
                kept.sort { $0.1 < $1.1 }
                for (_, _, rec) in kept { drawn.append((i, rec)) }
            }
        }
        var rng = SeededRandom(seed: spec.seed, stream: 0xFFFF_FFFF)
        drawn.shuffle(using: &rng)
        for d in drawn { try write(d.record, source: d.source) }
        return MixReport(written: counts, available: available, exactShuffle: true)
    }

    private func shuffleAll() throws -> MixReport {
        var rng = SeededRandom(seed: spec.seed, stream: 0xFFFF_FFFF)
        var held: [(Int, JSONRecord)] = []
        var readers: [JSONLReader] = []
        // Read until everything is held or the buffer is full.
        var overflow = false
        outer: for i in spec.sources.indices {
            let r = try reader(i)
            readers.append(r)
            while let rec = try next(r) {
                held.append((i, rec.copy()))
                if held.count > spec.bufferRecords { overflow = true; break outer }
            }
        }
        if !overflow {
            held.shuffle(using: &rng)
            var written = [Int](repeating: 0, count: spec.sources.count)
            for (i, rec) in held { try write(rec, source: i); written[i] += 1 }
            return MixReport(written: written, available: written.map { Optional($0) }, exactShuffle: true)
        }
        return try bufferedShuffle(&rng)
    }

    private func bufferedShuffle(_ rng: inout SeededRandom) throws -> MixReport {
        // First pass: count each source (stdin cannot be read twice).
        var remaining: [Int] = []
        for (i, s) in spec.sources.enumerated() {
            if s.path == "-" { throw ToolInputError("stdin is too large to shuffle in memory (more than --buffer \(spec.bufferRecords) records); give files, or a larger --buffer") }
            let r = try reader(i)
            var n = 0
            while try next(r) != nil { n += 1 }
            remaining.append(n)
        }
        let available = remaining.map { Optional($0) }
        let readers = try spec.sources.indices.map { try reader($0) }
        var written = [Int](repeating: 0, count: spec.sources.count)
        var buffer: [(Int, JSONRecord)] = []
        buffer.reserveCapacity(spec.bufferRecords)
        var left = remaining.reduce(0, +)
        func emitOne(_ rng: inout SeededRandom) throws {
            let k = Int(rng.next() % UInt64(buffer.count))
            let (i, rec) = buffer[k]
            buffer[k] = buffer[buffer.count - 1]
            buffer.removeLast()
            try write(rec, source: i)
            written[i] += 1
        }
        while left > 0 {
            // Pick the next source in proportion to what it has left.
            var x = Int(rng.next() % UInt64(left))
            var i = 0
            while x >= remaining[i] { x -= remaining[i]; i += 1 }
            guard let rec = try next(readers[i]) else {
                throw ToolInputError("\(spec.sources[i].path): changed while being read")
            }
            remaining[i] -= 1; left -= 1
            buffer.append((i, rec.copy()))
            if buffer.count == spec.bufferRecords { try emitOne(&rng) }
        }
        while !buffer.isEmpty { try emitOne(&rng) }
        return MixReport(written: written, available: available, exactShuffle: false)
    }
}
