// Batching: examples are laid into rows of T positions.
//
// Packing (default): each row holds as many whole examples as fit, chosen first-fit from a look-ahead window
// of the next W examples in epoch order; attention never crosses an example (block-diagonal mask through
// per-token key ranges) and RoPE positions restart at 0 for each example. Padding (`--pack off`): one example
// per row. What is left of a row is padding: <pad> tokens with no target, attending only to themselves.
//
// The epoch order is a seeded shuffle of the examples (a function of seed and epoch), so the packer's whole
// state is (epoch, cursor, window): saved in checkpoints for --resume.
import Model
import Streams

public struct PackItem: Equatable, Sendable {
    public var epoch: Int, index: Int, positions: Int
}

public struct PackerState: Equatable, Sendable {
    public var epoch = 0
    public var cursor = 0
    public var window: [PackItem] = []
    /// examples placed so far (over all epochs)
    public var placed = 0
    public init() {}

    public func json() -> JSON {
        var o = JSONObject()
        o["epoch"] = JSON(epoch); o["cursor"] = JSON(cursor); o["placed"] = JSON(placed)
        o["window"] = .array(window.map { .array([JSON($0.epoch), JSON($0.index), JSON($0.positions)]) })
        return .object(o)
    }

    public static func parse(_ j: JSON) throws -> PackerState {
        var s = PackerState()
        guard let e = j["epoch"]?.int, let c = j["cursor"]?.int, let p = j["placed"]?.int, let w = j["window"]?.array else {
            throw ToolInputError("bad packer state")
        }
        s.epoch = e; s.cursor = c; s.placed = p
        for item in w {
            guard let a = item.array, a.count == 3, let ep = a[0].int, let i = a[1].int, let n = a[2].int else {
                throw ToolInputError("bad packer state")
            }
            s.window.append(PackItem(epoch: ep, index: i, positions: n))
        }
        return s
    }
}

/// One row's worth of inputs, written by the packer.
public struct Row {
    public var tokens: [Int32], targets: [Int32], weights: [Float], positions: [Int32]
    public var segments: [Int32], prefix: [UInt8]
    /// examples in this row, and positions carrying a loss target
    public var examples = 0, lossPositions = 0, usedPositions = 0
    public init(T: Int) {
        tokens = .init(repeating: 0, count: T); targets = .init(repeating: -1, count: T)
        weights = .init(repeating: 0, count: T); positions = .init(repeating: 0, count: T)
        segments = .init(repeating: 0, count: T); prefix = .init(repeating: 0, count: T)
    }
}

public final class Packer {
    public let transformer: Transformer
    public let T: Int
    public let pack: Bool
    public let windowSize: Int
    public let shuffle: Bool
    /// stop after this many epochs (nil: cycle for ever)
    public let maxEpochs: Int?
    public var state = PackerState()
    private var order: [Int] = []
    private var orderEpoch = -1
    private var seq = TrainSequence()
    let pad: Int32

    public init(transformer: Transformer, context T: Int, pack: Bool = true, window: Int = 64, shuffle: Bool = true,
                maxEpochs: Int? = nil) {
        self.transformer = transformer; self.T = T; self.pack = pack
        self.windowSize = pack ? max(1, window) : 1
        self.shuffle = shuffle; self.maxEpochs = maxEpochs
        pad = transformer.tokenizer.pad
    }

    var count: Int { transformer.store.count }

    /// The example order of an epoch: a seeded Fisher-Yates shuffle (or the file order).
    func orderFor(_ epoch: Int) -> [Int] {
        if orderEpoch == epoch { return order }
        var o = Array(0..<count)
        if shuffle {
            var r = SeededRandom(seed: transformer.seed ^ 0x5348_5546_464C_4500, stream: UInt64(epoch))
            for i in stride(from: o.count - 1, to: 0, by: -1) {
                let j = Int(r.next() % UInt64(i + 1))
                o.swapAt(i, j)
            }
        }
        order = o; orderEpoch = epoch
        return o
    }

    /// Whether every epoch has been read and laid out.
    public var exhausted: Bool { state.window.isEmpty && !canPull }
    var canPull: Bool { count > 0 && (maxEpochs == nil || state.epoch < maxEpochs!) }

    func refill() {
        while state.window.count < windowSize && canPull {
            let o = orderFor(state.epoch)
            let idx = o[state.cursor]
            state.window.append(PackItem(epoch: state.epoch, index: idx,
                                         positions: transformer.positions(epoch: state.epoch, index: idx)))
            state.cursor += 1
            if state.cursor == o.count { state.cursor = 0; state.epoch += 1 }
        }
    }

    /// Choose the items of the next row (removing them from the window); empty when exhausted.
    func nextRowItems() -> [PackItem] {
        refill()
        var items: [PackItem] = []
        var left = T
        var i = 0
        while i < state.window.count && left > 0 {
            let it = state.window[i]
            if it.positions <= left {
                items.append(it); left -= it.positions
                state.window.remove(at: i)
                if !pack { break }
                refill()
            } else {
                i += 1
            }
        }
        state.placed += items.count
        return items
    }

    /// Lay out the next row into `row`; returns false when there is no data left (the row is all padding).
    @discardableResult
    public func fill(_ row: inout Row) -> Bool {
        let items = nextRowItems()
        var t = 0
        row.examples = items.count; row.lossPositions = 0
        for (d, it) in items.enumerated() {
            transformer.build(epoch: it.epoch, index: it.index, into: &seq)
            let n = seq.positions
            precondition(n == it.positions && t + n <= T, "packer length mismatch")
            for j in 0..<n {
                let k = t + j
                row.tokens[k] = seq.tokens[j]
                let has = seq.loss[j + 1]
                row.targets[k] = has ? seq.tokens[j + 1] : -1
                row.weights[k] = has ? seq.weight : 0
                if has { row.lossPositions += 1 }
                row.positions[k] = Int32(j)
                row.segments[k] = Int32(d)
                row.prefix[k] = j < seq.prefix ? 1 : 0
            }
            t += n
        }
        row.usedPositions = t
        // padding: one segment of its own
        for k in t..<T {
            row.tokens[k] = pad; row.targets[k] = -1; row.weights[k] = 0
            row.positions[k] = Int32(k - t); row.segments[k] = Int32(items.count); row.prefix[k] = 0
        }
        return !items.isEmpty
    }

    /// Count the rows left until the data runs out (requires maxEpochs); the state is left unchanged.
    public func countRows() -> Int {
        precondition(maxEpochs != nil)
        let saved = state
        var rows = 0
        while true {
            if nextRowItems().isEmpty { break }
            rows += 1
        }
        state = saved
        return rows
    }
}

extension Packer {
    /// Every remaining row, in micro-batches of B rows; the last batch is filled up with padding rows (no
    /// targets). How st-train's --val and st-eval --loss lay out the examples they measure.
    public func batches(rows B: Int) -> [[Row]] { Array(batchSequence(rows: B)) }

    /// The same batches, packed one at a time as they are read (memory for one batch only).
    public func batchSequence(rows B: Int) -> AnySequence<[Row]> {
        AnySequence(AnyIterator { [self] in
            var cur: [Row] = []
            while cur.count < B {
                var r = Row(T: T)
                if !fill(&r) { break }
                cur.append(r)
            }
            if cur.isEmpty { return nil }
            while cur.count < B { var r = Row(T: T); r.tokens = .init(repeating: pad, count: T); cur.append(r) }
            return cur
        })
    }
}
