// Hand-written flag parsing: `--flag value`, `--flag=value` and boolean `--switch`. Unknown,
// repeated or malformed flags become a UsageError that says what to type instead.

import MetaLearning

/// A command-line mistake. The CLI prints it and exits with status 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The flags of one command, checked against the flags it accepts.
struct ArgumentList {
    let command: String
    private(set) var values: [String: String] = [:]
    private(set) var switches: Set<String> = []

    /// - Parameters:
    ///   - options: flags that take a value (without the leading "--").
    ///   - switchNames: flags without a value.
    init(_ arguments: [String], command: String, options: Set<String>, switches switchNames: Set<String>) throws {
        self.command = command
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw UsageError("unexpected argument '\(argument)' for '\(command)': flags start with '--'. "
                    + "Run 'metalearn \(command) --help'.")
            }
            var name = String(argument.dropFirst(2)), inlineValue: String? = nil
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if switchNames.contains(name) {
                guard inlineValue == nil else { throw UsageError("--\(name) takes no value (got '\(argument)').") }
                switches.insert(name)
                continue
            }
            guard options.contains(name) else {
                let known = options.union(switchNames)
                let hint = Self.closest(to: name, in: known).map { " Did you mean --\($0)?" } ?? ""
                throw UsageError("unknown flag --\(name) for '\(command)'.\(hint) Run 'metalearn \(command) --help' "
                    + "for the list.")
            }
            guard values[name] == nil else { throw UsageError("--\(name) is given twice; give it once.") }
            if let inlineValue {
                values[name] = inlineValue
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw UsageError("--\(name) needs a value, e.g. --\(name) <value>. Run 'metalearn \(command) --help'.")
                }
                values[name] = arguments[index]
                index += 1
            }
        }
    }

    func has(_ name: String) -> Bool { values[name] != nil || switches.contains(name) }

    func string(_ name: String) -> String? { values[name] }

    /// An integer in `range`, or nil when the flag is absent.
    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text) else { throw UsageError("--\(name) needs a whole number, got '\(text)'.") }
        guard range.contains(value) else {
            let upper = range.upperBound == Int.max ? "" : " and at most \(range.upperBound)"
            throw UsageError("--\(name) must be at least \(range.lowerBound)\(upper), got \(value).")
        }
        return value
    }

    /// A finite number > 0 (or ≥ 0 with `allowZero`), or nil when the flag is absent.
    func positiveNumber(_ name: String, allowZero: Bool = false) throws -> Float? {
        guard let text = values[name] else { return nil }
        guard let value = Float(text), value.isFinite else { throw UsageError("--\(name) needs a number, got '\(text)'.") }
        guard value > 0 || (allowZero && value == 0) else {
            throw UsageError("--\(name) must be \(allowZero ? "≥ 0" : "positive"), got \(text).")
        }
        return value
    }

    /// A seed: any unsigned 64-bit integer.
    func seed(_ name: String) throws -> UInt64? {
        guard let text = values[name] else { return nil }
        guard let value = UInt64(text) else {
            throw UsageError("--\(name) needs a whole number from 0 to \(UInt64.max), got '\(text)'.")
        }
        return value
    }

    /// One of an enumeration's cases, written in kebab-case (`sum-over-shots` for `sumOverShots`).
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type) throws -> T? where T.RawValue == String {
        guard let text = values[name] else { return nil }
        if let value = T.allCases.first(where: { kebabCase($0.rawValue) == text }) { return value }
        let names = T.allCases.map { kebabCase($0.rawValue) }.joined(separator: ", ")
        throw UsageError("--\(name) must be one of \(names); got '\(text)'.")
    }

    /// "on"/"off" (also true/false, yes/no).
    func onOff(_ name: String) throws -> Bool? {
        guard let text = values[name]?.lowercased() else { return nil }
        switch text {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: throw UsageError("--\(name) must be on or off, got '\(text)'.")
        }
    }

    /// The known name with the smallest edit distance to `name`, if it is close enough.
    static func closest(to name: String, in known: Set<String>) -> String? {
        let scored = known.map { ($0, editDistance(Array(name), Array($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, name.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}

/// "sumOverShots" → "sum-over-shots".
func kebabCase(_ camel: String) -> String {
    camel.reduce(into: "") { result, character in
        if character.isUppercase { result += "-" + character.lowercased() } else { result.append(character) }
    }
}
