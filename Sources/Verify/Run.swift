// The st-verify run: read records in batches, verify each batch on --threads threads, write the records in
// input order with the verification fields set (every input field kept byte for byte).
import Foundation
import Streams

public struct VerifyStats: Sendable {
    public var read = 0
    /// Records per verdict, indexed like `Verdict.allCases`.
    public var verdictCounts = [Int](repeating: 0, count: Verdict.allCases.count)
    public func count(_ v: Verdict) -> Int { verdictCounts[Verdict.allCases.firstIndex(of: v)!] }
    public var rewardSum = 0.0
    public var stepsChecked = 0, stepsBad = 0
}

private final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}

public final class VerifyRun {
    public let verifier: Verifier
    let reader: JSONLReader
    let writer: JSONLWriter
    let threads: Int
    public private(set) var stats = VerifyStats()
    /// Records per batch: output order is input order within and across batches.
    public var batchSize = 512

    public init(verifier: Verifier, reader: JSONLReader, writer: JSONLWriter, threads: Int) {
        self.verifier = verifier
        self.reader = reader
        self.writer = writer
        self.threads = max(1, threads)
    }

    public func run() throws {
        var batch: [JSONRecord] = []
        batch.reserveCapacity(batchSize)
        while let rec = try reader.next() {
            guard rec.isObject else {
                throw DataError(file: reader.file, line: reader.line, message: "record is not a JSON object")
            }
            batch.append(threads == 1 ? rec : rec.copy())
            if threads == 1 {
                try finish(batch)
                batch.removeAll(keepingCapacity: true)
            } else if batch.count == batchSize {
                try finish(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try finish(batch) }
    }

    private func finish(_ batch: [JSONRecord]) throws {
        var results = [VerifyResult](repeating: VerifyResult(verdict: .error), count: batch.count)
        if threads == 1 || batch.count == 1 {
            for i in batch.indices { results[i] = verifier.verify(batch[i]) }
        } else {
            let next = Box(0)
            let lock = NSLock()
            let verifier = self.verifier
            results.withUnsafeMutableBufferPointer { buf in
                let ptr = Box(buf)
                DispatchQueue.concurrentPerform(iterations: min(threads, batch.count)) { _ in
                    while true {
                        lock.lock()
                        let i = next.value
                        next.value += 1
                        lock.unlock()
                        if i >= batch.count { break }
                        ptr.value[i] = verifier.verify(batch[i])
                    }
                }
            }
        }
        for (rec, r) in zip(batch, results) {
            try writer.write(rec, setting: r.fields)
            stats.read += 1
            stats.verdictCounts[r.verdict.index] += 1
            stats.rewardSum += r.reward
            if let ok = r.stepsOK { stats.stepsChecked += 1; if !ok { stats.stepsBad += 1 } }
        }
    }
}
