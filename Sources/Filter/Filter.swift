// st-filter's pipeline, applied to each record in order:
//   --where  →  dedup (per --by group when given)  →  --cap (per --by group)  →  field shaping.
// Memory is constant apart from per-key state: one 128-bit hash per distinct dedup key, one counter per
// group, and for `--cap-pick random` the N kept records of each group (emitted at the end, in input order).
import MathText
import Streams

public enum DedupMode: String, CaseIterable {
    /// Identical field text (or identical JSON for non-strings).
    case exact
    /// Text equal after folding case and collapsing whitespace runs to one space (ends trimmed).
    case normalized
    /// Same sequence of arithmetic equations (RFT's rule); see MathText.equationSignature.
    case equations
}

public enum CapPick: String, CaseIterable { case first, random }

public struct FilterSpec {
    public var predicate: Predicate?
    public var by: FieldPath?
    public var cap: Int?
    public var capPick: CapPick = .first
    public var dedup: (FieldPath, DedupMode)?
    public var keepFields: [String]?
    public var dropFields: Set<String> = []
    public var renames: [String: String] = [:]
    public var seed: UInt64 = 0
    public init() {}

    var shapes: Bool { keepFields != nil || !dropFields.isEmpty || !renames.isEmpty }
}

public struct FilterStats {
    public var read = 0, failedWhere = 0, duplicates = 0, overCap = 0, written = 0
}

public final class FilterRun {
    let spec: FilterSpec
    let reader: JSONLReader
    let writer: JSONLWriter
    public private(set) var stats = FilterStats()

    private var seen = Set<Hash128>()
    private var groupCounts: [Hash128: Int] = [:]
    /// For random caps: per group, the kept (priority, ordinal, record) with the N smallest priorities.
    private var reservoirs: [Hash128: [(UInt64, Int, JSONRecord)]] = [:]
    private let keepSet: Set<String>?

    public init(spec: FilterSpec, reader: JSONLReader, writer: JSONLWriter) {
        self.spec = spec; self.reader = reader; self.writer = writer
        keepSet = spec.keepFields.map(Set.init)
    }

    public func run() throws {
        while let r = try reader.next() {
            stats.read += 1
            if let p = spec.predicate, !p.matches(r) { stats.failedWhere += 1; continue }
            let group = try spec.by.map { try groupHash(r, $0, purpose: "--by") }
            if let (path, mode) = spec.dedup {
                let key = try dedupKey(r, path, mode)
                let scoped = group.map { Hash128(withUnsafeBytes(of: ($0.a, $0.b, key.a, key.b)) { Array($0) }) } ?? key
                if !seen.insert(scoped).inserted { stats.duplicates += 1; continue }
            }
            if let cap = spec.cap {
                let g = group ?? Hash128([])
                switch spec.capPick {
                case .first:
                    let n = groupCounts[g, default: 0]
                    if n >= cap { stats.overCap += 1; continue }
                    groupCounts[g] = n + 1
                case .random:
                    keepRandom(r, group: g, cap: cap)
                    continue
                }
            }
            try emit(r)
        }
        if spec.cap != nil && spec.capPick == .random {
            let kept = reservoirs.values.flatMap { $0 }.sorted { $0.1 < $1.1 }
            for (_, _, r) in kept { try emit(r) }
        }
    }

    /// Bottom-k sampling: each record gets a priority from the seed and its ordinal; a group keeps its N
    /// smallest. Every N-subset of a group is equally likely, and the choice does not depend on the order
    /// of other groups' records.
    private func keepRandom(_ r: JSONRecord, group: Hash128, cap: Int) {
        let ordinal = stats.read
        let priority = mix64(spec.seed ^ mix64(UInt64(ordinal)))
        var res = reservoirs[group, default: []]
        if res.count < cap {
            res.append((priority, ordinal, r.copy()))
        } else if let worst = res.indices.max(by: { res[$0].0 < res[$1].0 }), priority < res[worst].0 {
            res[worst] = (priority, ordinal, r.copy())
            stats.overCap += 1
        } else {
            stats.overCap += 1
        }
        reservoirs[group] = res
    }

    private func emit(_ r: JSONRecord) throws {
        stats.written += 1
        guard spec.shapes else { try writer.write(r); return }
        try writer.write(r) { key in
            if let keep = self.keepSet, !keep.contains(key) { return nil }
            if self.spec.dropFields.contains(key) { return nil }
            return self.spec.renames[key] ?? key
        }
    }

    private func locate(_ message: String) -> DataError {
        DataError(file: reader.file, line: reader.line, message: message)
    }

    private func groupHash(_ r: JSONRecord, _ path: FieldPath, purpose: String) throws -> Hash128 {
        guard let t = r.find(path) else { throw locate("no field '\(path)' (needed by \(purpose))") }
        return Hash128(r.groupKey(t))
    }

    private func dedupKey(_ r: JSONRecord, _ path: FieldPath, _ mode: DedupMode) throws -> Hash128 {
        guard let t = r.find(path) else { throw locate("no field '\(path)' (needed by --dedup)") }
        switch mode {
        case .exact:
            return Hash128(r.groupKey(t))
        case .normalized:
            let text = r.tokens[t].kind == .string ? r.string(at: t) : r.value(atToken: t).serialized()
            return Hash128(normalizeText(text).utf8)
        case .equations:
            guard r.tokens[t].kind == .string else { throw locate("field '\(path)' is not a string (needed by --dedup-equations)") }
            return Hash128(equationSignature(r.string(at: t)).joined(separator: "\n").utf8)
        }
    }
}

/// Case folded, whitespace runs collapsed to one space, ends trimmed.
public func normalizeText(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    var pendingSpace = false
    for ch in s.lowercased().unicodeScalars {
        if ch.properties.isWhitespace {
            pendingSpace = !out.isEmpty
            continue
        }
        if pendingSpace { out.unicodeScalars.append(" "); pendingSpace = false }
        out.unicodeScalars.append(ch)
    }
    return out
}
