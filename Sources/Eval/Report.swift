// Report: the JSON document st-eval writes (keys documented in docs/st-eval.md).
import Streams

func json(_ v: MetricValue) -> JSON {
    switch v {
    case .int(let i): return JSON(i)
    case .real(let d): return JSON(d)
    case .none: return .null
    }
}

func json(_ g: GroupResult) -> JSON {
    var o = JSONObject(g.metrics.map { ($0.name, json($0.value)) })
    o["verdicts"] = .object(JSONObject(g.verdicts.map { ($0.verdict, JSON($0.count)) }))
    o["ci"] = .object(JSONObject(g.intervals.map { ($0.name, .array([JSON($0.low), JSON($0.high)])) }))
    o["notes"] = .array(g.notes.map { JSON($0) })
    return .object(o)
}

/// Inputs given to the report: label, the paths read as that input, and the id field used.
public struct InputInfo {
    public var label: String
    public var paths: [String]
    public var idField: String
    public init(label: String, paths: [String], idField: String) {
        self.label = label; self.paths = paths; self.idField = idField
    }
}

/// The whole document: settings, one object per input, and the differences against the first input.
public func report(_ inputs: [InputResult], info: [InputInfo], differences diffs: [Difference],
                   options: EvalOptions, diversity: DiversityKey) -> JSONObject {
    var doc = JSONObject()
    doc["k"] = .array(options.ks.map { JSON($0) })
    doc["seed"] = .number(String(options.seed))
    doc["bootstrap"] = JSON(options.bootstrap)
    doc["confidence"] = JSON(options.confidence)
    doc["diversity_by"] = JSON(diversity.rawValue)
    doc["inputs"] = .array(zip(inputs, info).map { r, i in
        var o = JSONObject()
        o["label"] = JSON(r.label)
        o["paths"] = .array(i.paths.map { JSON($0) })
        o["id_field"] = JSON(i.idField)
        o["all"] = json(r.all)
        o["methods"] = .object(JSONObject(r.methods.map { ($0.value, json($0)) }))
        o["by"] = .object(JSONObject(r.by.map { b in
            (b.field, JSON.object(JSONObject(b.groups.map { ($0.value, json($0)) })))
        }))
        o["pairs"] = .array(r.pairs.map { p in
            .object(JSONObject([
                ("a", JSON(p.a)), ("b", JSON(p.b)), ("problems", JSON(p.problems)),
                ("correlation", p.correlation.map { JSON($0) } ?? .null),
                ("only_a", JSON(p.onlyA)), ("only_b", JSON(p.onlyB)), ("both", JSON(p.both)),
                ("neither", JSON(p.neither)),
            ]))
        })
        return .object(o)
    })
    doc["differences"] = .array(diffs.map { d in
        var o = JSONObject([("label", JSON(d.label)), ("baseline", JSON(d.baseline)), ("group", JSON(d.group)),
                            ("paired", JSON(d.paired))])
        for (name, v) in d.metrics { o[name] = json(v) }
        o["ci"] = .object(JSONObject(d.intervals.map { ($0.name, .array([JSON($0.low), JSON($0.high)])) }))
        return .object(o)
    })
    return doc
}
