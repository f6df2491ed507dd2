import XCTest
import Foundation
import Streams
import Verify

/// Writes JSON Lines to a temporary file and reads them back as records.
func records(_ lines: [String]) throws -> [JSONRecord] {
    let path = NSTemporaryDirectory() + "verify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    defer { unlink(path) }
    let reader = try JSONLReader(paths: [path])
    var out: [JSONRecord] = []
    while let r = try reader.next() { out.append(r.copy()) }
    return out
}

func json(_ pairs: [(String, JSON)]) -> String { JSON.object(JSONObject(pairs)).serialized() }

let dataDir: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("../shared/data").standardized

/// Processes of the sandbox uids (61000...61999) or whose command line holds `marker`.
func leftoverProcesses(marker: String) -> [String] {
    var out: [String] = []
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return out }
    for n in names where Int(n) != nil {
        guard let status = try? String(contentsOfFile: "/proc/\(n)/status", encoding: .utf8) else { continue }
        let cmd = (try? String(contentsOfFile: "/proc/\(n)/cmdline", encoding: .utf8))?
            .replacingOccurrences(of: "\0", with: " ") ?? ""
        if status.contains("State:\tZ") { continue }
        let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        let uid = Int(uidLine.split(separator: "\t").dropFirst().first ?? "") ?? -1
        if (61000..<62000).contains(uid) || (cmd.contains(marker) && !cmd.contains("xctest")) {
            out.append("\(n) uid \(uid): \(cmd.prefix(80))")
        }
    }
    return out
}
