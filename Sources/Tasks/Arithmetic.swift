// Multi-step arithmetic word problems, solvable two ways: a chain of equations in text, and a short Python
// program. Every problem is built from a story family (wording) and a plan (a start and a list of events);
// the plan fixes the equations, so the gold answer, the gold text solution and the gold program all follow
// from it exactly. Difficulty = the number of equations (1–6).
import Streams

/// A story family: the wording of starts, events and questions. Families in `trainFamilies` make the
/// train/val/test splits; `transferFamily` is held out for the transfer split.
struct Family {
    var name: String
    var people: [String]
    var items: [String]          // plural nouns
    var containers: [String]     // "singular|plural"
    // {p} person, {P} pronoun (the name again), {i} items, {c}/{cs} container, {a} {b} numbers
    var start: String            // q = a
    var startGroups: String      // q = a * b
    var add: [String]            // q + a
    var addGroups: [String]      // q + a * b
    var sub: [String]            // q - a
    var subGroups: [String]      // q - a * b
    var times: [String]          // q * a
    var share: String            // q / a (last step)
    var question: String
    var shareQuestion: String
}

let trainFamilies: [Family] = [
    Family(name: "market", people: ["Ana", "Ben", "Carla", "Dev", "Emma", "Farid"],
           items: ["apples", "oranges", "lemons", "pears", "plums"], containers: ["bag|bags", "box|boxes", "basket|baskets", "crate|crates"],
           start: "{p} has {a} {i}.", startGroups: "{p} buys {a} {cs} with {b} {i} in each {c}.",
           add: ["Then {P} buys {a} more {i}.", "A friend gives {P} {a} {i}."],
           addGroups: ["{P} buys {a} more {cs} of {b} {i} each."],
           sub: ["{P} sells {a} {i}.", "{P} eats {a} of the {i}."],
           subGroups: ["{P} sells {a} {cs} of {b} {i} each."],
           times: ["By evening {P} has {a} times as many {i} as before."],
           share: "{P} shares the {i} equally among {a} friends.",
           question: "How many {i} does {p} have now?", shareQuestion: "How many {i} does each friend get?"),
    Family(name: "school", people: ["Ms. Lee", "Mr. Diaz", "Mrs. Okafor", "Mr. Novak"],
           items: ["pencils", "stickers", "markers", "erasers"], containers: ["pack|packs", "tin|tins", "box|boxes"],
           start: "{p} has {a} {i} in the classroom.", startGroups: "{p} orders {a} {cs} of {i}. Each {c} holds {b} {i}.",
           add: ["The school sends {a} more {i}.", "{P} finds {a} extra {i} in a drawer."],
           addGroups: ["{P} opens {a} new {cs} with {b} {i} in each."],
           sub: ["{P} hands out {a} {i} to the students.", "{a} {i} get lost."],
           subGroups: ["{a} students each take {b} {i}."],
           times: ["After the fair there are {a} times as many {i}."],
           share: "{P} splits the {i} evenly between {a} tables.",
           question: "How many {i} does {p} have now?", shareQuestion: "How many {i} does each table get?"),
    Family(name: "farm", people: ["Grandpa Joe", "Aunt Rosa", "Farmer Kim", "Old Tom"],
           items: ["eggs", "carrots", "potatoes", "tomatoes"], containers: ["tray|trays", "sack|sacks", "cart|carts"],
           start: "{p} collects {a} {i}.", startGroups: "{p} fills {a} {cs} with {b} {i} each.",
           add: ["The next morning {P} collects {a} more {i}.", "A neighbour brings {a} {i}."],
           addGroups: ["{P} adds {a} {cs} holding {b} {i} each."],
           sub: ["{P} uses {a} {i} for dinner.", "{a} {i} go bad and are thrown away."],
           subGroups: ["{P} sends {a} {cs} of {b} {i} to the market."],
           times: ["By the end of the month there are {a} times as many {i}."],
           share: "{P} packs all the {i} equally into {a} crates.",
           question: "How many {i} does {p} have now?", shareQuestion: "How many {i} go into each crate?"),
    Family(name: "library", people: ["The library", "The book club", "The school library"],
           items: ["books", "magazines", "comics", "maps"], containers: ["shelf|shelves", "carton|cartons", "box|boxes"],
           start: "{p} owns {a} {i}.", startGroups: "{p} has {a} {cs} with {b} {i} on each.",
           add: ["{P} receives a gift of {a} {i}.", "{P} buys {a} new {i}."],
           addGroups: ["{P} gets {a} more {cs} of {b} {i}."],
           sub: ["{a} {i} are lent out.", "{P} gives away {a} old {i}."],
           subGroups: ["{a} readers each borrow {b} {i}."],
           times: ["After the donation drive {P} has {a} times as many {i}."],
           share: "The {i} are divided equally among {a} rooms.",
           question: "How many {i} are there now?", shareQuestion: "How many {i} does each room get?"),
]

/// Held out of training: different people, things and phrasing, the same arithmetic.
let transferFamily = Family(
    name: "space", people: ["Captain Ray", "Pilot Yuki", "Engineer Sol"],
    items: ["fuel cells", "star maps", "oxygen tanks", "probes"], containers: ["pod|pods", "rack|racks", "locker|lockers"],
    start: "A ship's hold carries {a} {i}, logged by {p}.", startGroups: "Docked cargo: {a} {cs}, each loaded with {b} {i}, logged by {p}.",
    add: ["A supply drone delivers {a} further {i}.", "Salvage adds {a} {i} to the hold."],
    addGroups: ["Another {a} {cs} arrive, {b} {i} per {c}."],
    sub: ["A repair burns through {a} {i}.", "The crew jettisons {a} {i}."],
    subGroups: ["{a} outposts receive {b} {i} apiece."],
    times: ["A replicator multiplies the stock of {i} by {a}."],
    share: "The {i} are split evenly across {a} decks.",
    question: "What is the count of {i} in the hold at the end?", shareQuestion: "What does each deck receive?")

/// One step of a plan.
enum Step {
    case start(Int)
    case startGroups(Int, Int)
    case add(Int)
    case addGroups(Int, Int)
    case sub(Int)
    case subGroups(Int, Int)
    case times(Int)
    case share(Int)

    /// Equations this step contributes (one, or two for groups added to a running total).
    var equationCount: Int {
        switch self {
        case .start: return 0
        case .startGroups, .add, .sub, .times, .share: return 1
        case .addGroups, .subGroups: return 2
        }
    }
}

/// A generated problem with its gold solutions.
public struct ArithProblem {
    public var family: String
    public var question: String
    public var answer: Int
    /// Equations in order, as `a op b = c`.
    public var equations: [String]
    /// The gold chain-of-thought: one equation per line, then `Answer: N`.
    public var solutionText: String
    /// The gold program: one assignment per equation, then `print(x)`.
    public var solutionCode: String
    public var difficulty: Int { equations.count }
}

struct ArithGenerator {
    var rng: SeededRandom

    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(rng.next() % UInt64(hi - lo + 1)) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }

    /// A random plan with exactly `equations` equations whose running value stays a positive integer < 1000.
    mutating func plan(equations target: Int) -> [Step] {
        for _ in 0..<1000 {
            var steps: [Step] = []
            var q: Int
            var count = 0
            if target >= 2 && int(0, 2) == 0 || target == 1 && int(0, 1) == 0 {
                let a = int(2, 9), b = int(2, 12)
                steps.append(.startGroups(a, b)); q = a * b; count = 1
            } else {
                q = int(5, 60); steps.append(.start(q))
            }
            var ok = true
            while count < target {
                let left = target - count
                let r = int(0, 9)
                if left == 1 && r < 2 && q >= 4 {
                    // Share equally as the last step when some divisor works.
                    let divisors = (2...9).filter { q % $0 == 0 && q / $0 >= 2 }
                    if let d = divisors.isEmpty ? nil : pick(divisors) { steps.append(.share(d)); q /= d; count += 1; continue }
                }
                if left >= 2 && r < 4 {
                    let a = int(2, 6), b = int(2, 10)
                    if r < 2 || q <= a * b { steps.append(.addGroups(a, b)); q += a * b } else { steps.append(.subGroups(a, b)); q -= a * b }
                    count += 2
                } else if r < 5 && q < 150 {
                    let a = int(2, 4); steps.append(.times(a)); q *= a; count += 1
                } else if r < 8 || q <= 3 {
                    let a = int(2, 40); steps.append(.add(a)); q += a; count += 1
                } else {
                    let a = int(1, q - 1); steps.append(.sub(a)); q -= a; count += 1
                }
                if q <= 0 || q >= 1000 { ok = false; break }
            }
            if ok && count == target { return steps }
        }
        fatalError("no plan with \(target) equations")
    }

    mutating func problem(family f: Family, equations: Int) -> ArithProblem {
        let steps = plan(equations: equations)
        let person = pick(f.people), items = pick(f.items)
        let container = pick(f.containers).split(separator: "|").map(String.init)
        func fill(_ t: String, _ a: Int = 0, _ b: Int = 0, sentenceStart: Bool) -> String {
            var s = t.replacingOccurrences(of: "{p}", with: person)
                .replacingOccurrences(of: "{i}", with: items)
                .replacingOccurrences(of: "{cs}", with: container[1])
                .replacingOccurrences(of: "{c}", with: container[0])
                .replacingOccurrences(of: "{a}", with: String(a))
                .replacingOccurrences(of: "{b}", with: String(b))
            // The pronoun is the person's name again: no gender guessing, and always grammatical.
            s = s.replacingOccurrences(of: "{P}", with: person)
            if sentenceStart, let first = s.first, first.isLowercase { s = first.uppercased() + s.dropFirst() }
            return s
        }
        var sentences: [String] = []
        var eqs: [String] = []
        var code: [String] = []
        var q = 0
        var shared = false
        for step in steps {
            switch step {
            case .start(let a):
                sentences.append(fill(f.start, a, sentenceStart: true)); q = a
                code.append("x = \(a)")
            case .startGroups(let a, let b):
                sentences.append(fill(f.startGroups, a, b, sentenceStart: true)); q = a * b
                eqs.append("\(a) * \(b) = \(q)"); code.append("x = \(a) * \(b)")
            case .add(let a):
                sentences.append(fill(pick(f.add), a, sentenceStart: true))
                eqs.append("\(q) + \(a) = \(q + a)"); q += a; code.append("x = x + \(a)")
            case .sub(let a):
                sentences.append(fill(pick(f.sub), a, sentenceStart: true))
                eqs.append("\(q) - \(a) = \(q - a)"); q -= a; code.append("x = x - \(a)")
            case .addGroups(let a, let b):
                sentences.append(fill(pick(f.addGroups), a, b, sentenceStart: true))
                eqs.append("\(a) * \(b) = \(a * b)"); eqs.append("\(q) + \(a * b) = \(q + a * b)"); q += a * b
                code.append("y = \(a) * \(b)"); code.append("x = x + y")
            case .subGroups(let a, let b):
                sentences.append(fill(pick(f.subGroups), a, b, sentenceStart: true))
                eqs.append("\(a) * \(b) = \(a * b)"); eqs.append("\(q) - \(a * b) = \(q - a * b)"); q -= a * b
                code.append("y = \(a) * \(b)"); code.append("x = x - y")
            case .times(let a):
                sentences.append(fill(pick(f.times), a, sentenceStart: true))
                eqs.append("\(q) * \(a) = \(q * a)"); q *= a; code.append("x = x * \(a)")
            case .share(let a):
                sentences.append(fill(f.share, a, sentenceStart: true))
                eqs.append("\(q) / \(a) = \(q / a)"); q /= a; code.append("x = x // \(a)")
                shared = true
            }
        }
        sentences.append(fill(shared ? f.shareQuestion : f.question, sentenceStart: true))
        code.append("print(x)")
        return ArithProblem(family: f.name, question: sentences.joined(separator: " "), answer: q, equations: eqs,
                            solutionText: (eqs + ["Answer: \(q)"]).joined(separator: "\n"),
                            solutionCode: code.joined(separator: "\n"))
    }
}
