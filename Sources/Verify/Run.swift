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
        // Math (--task gsm8k or math) runs on one thread: reading and writing the records costs more than
        // checking them, and copying records to hand them to other threads costs more than it saves.
        let mathOnly = verifier.options.task.map { !$0.isCode } ?? false
        if threads == 1 || mathOnly {
            // one record at a time, no copies
            while let rec = try reader.next() {
                guard rec.isObject else {
                    throw DataError(file: reader.file, line: reader.line, message: "record is not a JSON object")
                }
                if verifier.lacksTask(rec) { throw DataError(file: reader.file, line: reader.line, message: Verifier.noTaskMessage) }
                try write([rec], [verifier.verify(rec)])
            }
            return
        }
        // Pipelined: batch k is verified on the worker threads while the main thread writes batch k-1 and
        // reads batch k+1. Output order is input order.
        var pending: PendingBatch?
        var batch: [JSONRecord] = []
        batch.reserveCapacity(batchSize)
        while let rec = try reader.next() {
            guard rec.isObject else {
                throw DataError(file: reader.file, line: reader.line, message: "record is not a JSON object")
            }
            if verifier.lacksTask(rec) { throw DataError(file: reader.file, line: reader.line, message: Verifier.noTaskMessage) }
            batch.append(rec.copy())
            if batch.count == batchSize {
                let started = launch(batch)
                if let p = pending { p.done.wait(); try write(p.batch, p.results) }
                pending = started
                batch = []
                batch.reserveCapacity(batchSize)
            }
        }
        let last = batch.isEmpty ? nil : launch(batch)
        if let p = pending { p.done.wait(); try write(p.batch, p.results) }
        if let p = last { p.done.wait(); try write(p.batch, p.results) }
    }

    private final class PendingBatch: @unchecked Sendable {
        let batch: [JSONRecord]
        var results: [VerifyResult]
        let done = DispatchSemaphore(value: 0)
        init(_ b: [JSONRecord]) {
            batch = b
            results = [VerifyResult](repeating: VerifyResult(verdict: .error), count: b.count)
        }
    }

    /// Starts verifying a batch on `threads` threads; `done` is signalled when every result is in.
    private func launch(_ batch: [JSONRecord]) -> PendingBatch {
        let p = PendingBatch(batch)
        let verifier = self.verifier
        let threads = self.threads
        DispatchQueue.global().async {
            let next = Box(0)
            let lock = NSLock()
            p.results.withUnsafeMutableBufferPointer { buf in
                let ptr = Box(buf)
                DispatchQueue.concurrentPerform(iterations: min(threads, p.batch.count)) { _ in
                    while true {
                        lock.lock()
                        let i = next.value
                        next.value += 1
                        lock.unlock()
                        if i >= p.batch.count { break }
                        ptr.value[i] = verifier.verify(p.batch[i])
                    }
                }
            }
            p.done.signal()
        }
        return p
    }

    private func write(_ batch: [JSONRecord], _ results: [VerifyResult]) throws {
        for (rec, r) in zip(batch, results) {
            try writer.write(rec, setting: r.fields)
            stats.read += 1
            stats.verdictCounts[r.verdict.index] += 1
            stats.rewardSum += r.reward
            if let ok = r.stepsOK { stats.stepsChecked += 1; if !ok { stats.stepsBad += 1 } }
        }
    }
}
