// One JSON object per line for every benchmark result, tagged with where and when it was measured.
// Keys keep the order they were added in, so lines stay easy to read and to diff.

import Foundation
import Kernels

/// A JSON scalar: string, integer, floating-point number or boolean.
enum JSONValue {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)

    var encoded: String {
        switch self {
        case .string(let text): return quoted(text)
        case .integer(let value): return String(value)
        case .number(let value): return value.isFinite ? String(format: "%.4g", value) : "null"
        case .boolean(let value): return value ? "true" : "false"
        }
    }
}

/// An ordered list of key/value pairs printed as one JSON object on one line.
struct BenchmarkResult {
    private(set) var fields: [(key: String, value: JSONValue)] = []

    /// Starts a result with `"benchmark": name`.
    init(benchmark name: String) { add("benchmark", .string(name)) }

    mutating func add(_ key: String, _ value: JSONValue) { fields.append((key, value)) }

    /// Adds `median_ms`, `min_ms`, `cpu_ms` (median process CPU time per run) and `runs`, plus
    /// `gflops` from the median when `flops` is given.
    mutating func add(_ timings: Timings, flops: Double? = nil) {
        add("median_ms", .number(timings.median))
        add("min_ms", .number(timings.minimum))
        add("cpu_ms", .number(timings.cpuMedian))
        add("runs", .integer(timings.runs))
        if let flops { add("gflops", .number(flops / (timings.median / 1000) / 1e9)) }
    }

    /// The fields, then `peak_memory_mib` (the peak resident memory since this benchmark started, on
    /// Linux; the process's peak so far elsewhere), and `threads`, `commit`, `date`, `machine` and `vector_code` from `context`.
    func jsonLine(_ context: RunContext) -> String {
        let peak: [(key: String, value: JSONValue)] = Memory.peakResidentMiB().map { [("peak_memory_mib", .number($0))] } ?? []
        let all = fields + peak + [("threads", .integer(context.threads)), ("commit", .string(context.commit)),
                            ("date", .string(context.date)), ("machine", .string(context.machine)),
                            ("vector_code", .string(CPUFeatures.compiledTarget))]
        return "{" + all.map { "\(quoted($0.key)): \($0.value.encoded)" }.joined(separator: ", ") + "}"
    }
}

/// Facts about this run that every result line carries.
struct RunContext {
    let threads: Int
    let commit: String
    let date: String
    let machine: String

    /// Reads the thread count, the short git commit of the checkout this executable was built in
    /// ("…-modified" when its sources have uncommitted changes, "unknown" for a copy outside a
    /// checkout), the date (ISO 8601, UTC) and the CPU model with its core count.
    static func current() -> RunContext {
        RunContext(threads: Parallelism.threads, commit: gitCommit() ?? "unknown",
                   date: ISO8601DateFormatter().string(from: Date()),
                   machine: "\(cpuModel() ?? "unknown CPU"), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    }
}

/// The short commit of the checkout that built this executable (git run in the executable's directory,
/// `.build/release`, not in the current directory, which may be another repository), with "-modified"
/// when `Sources`, `Benchmarks` or `Package.swift` have changes not committed, new untracked files
/// included, so a result is not credited to code it did not run. Nil when git or the repository is missing.
private func gitCommit() -> String? {
    guard let executable = Bundle.main.executableURL else { return nil }
    let checkout = executable.resolvingSymlinksInPath().deletingLastPathComponent().path
    guard let commit = git(["-C", checkout, "rev-parse", "--short=7", "HEAD"]), !commit.isEmpty,
          let changes = git(["-C", checkout, "status", "--porcelain", "--untracked-files=all", "--",
                             ":/Sources", ":/Benchmarks", ":/Package.swift"]) else { return nil }
    return changes.isEmpty ? commit : commit + "-modified"
}

/// The trimmed standard output of `git arguments`, or nil when it cannot run or fails.
private func git(_ arguments: [String]) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The "model name" line of /proc/cpuinfo (Linux), or nil elsewhere.
private func cpuModel() -> String? {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return nil }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}

/// `text` as a JSON string literal, with quotes, backslashes and control characters escaped.
private func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
