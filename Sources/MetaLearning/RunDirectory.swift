// A run directory: config.json (every setting of the run), log.jsonl (one JSON object per line:
// training and validation metrics), checkpoints, results.json and SVG plots.

import Foundation

/// One line of `log.jsonl`.
public struct LogRecord: Codable, Equatable, Sendable {
    /// "train" (mean over the last logging window) or "validation".
    public var event: String
    /// Meta-iterations completed.
    public var iteration: Int
    /// Mean query loss (MSE or cross-entropy).
    public var loss: Double
    /// Mean query accuracy in [0, 1] (classification only).
    public var accuracy: Double?
    /// Bayesian TAML training only: mean KL/(N + M), the term the objective adds to `loss`.
    public var kl: Double?
    /// 95% half-width of the validation metric (validation only).
    public var ci95: Double?
    /// Inner steps the validation adapted with (validation only).
    public var steps: Int?
    /// Wall-clock seconds since the run (or the resumed part) started.
    public var seconds: Double

    public init(event: String, iteration: Int, loss: Double, accuracy: Double? = nil, kl: Double? = nil,
                ci95: Double? = nil, steps: Int? = nil, seconds: Double) {
        self.event = event
        self.iteration = iteration
        self.loss = loss
        self.accuracy = accuracy
        self.kl = kl
        self.ci95 = ci95
        self.steps = steps
        self.seconds = seconds
    }
}

extension JSONEncoder {
    /// Key-sorted JSON in which NaN and infinities (a diverged evaluation) are the strings
    /// "NaN", "Infinity" and "-Infinity" instead of an encoding error.
    public static func metalearn(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.metalearn()` writes.
    public static func metalearn() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}

/// The files of one training run.
public struct RunDirectory: Sendable {
    public let url: URL

    public var configURL: URL { url.appendingPathComponent("config.json") }
    public var logURL: URL { url.appendingPathComponent("log.jsonl") }
    /// The latest state (written every checkpoint interval and at the end).
    public var checkpointURL: URL { url.appendingPathComponent("checkpoint.mlck") }
    /// The state with the best validation score so far.
    public var bestCheckpointURL: URL { url.appendingPathComponent("best.mlck") }
    public var resultsURL: URL { url.appendingPathComponent("results.json") }

    public init(url: URL) { self.url = url }

    /// Creates the directory (and its parents) if needed.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunDirectoryError("cannot create the run directory \(url.path): \(error.localizedDescription). "
                + "Choose a writable place with --run-dir.")
        }
    }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes `value` as pretty, key-sorted JSON, atomically.
    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        try write(try JSONEncoder.metalearn(pretty: true).encode(value) + Data("\n".utf8), to: name)
    }

    /// Reads a JSON file of the run.
    public func readJSON<T: Decodable>(_ type: T.Type, from name: String) throws -> T {
        let target = file(name)
        guard let data = FileManager.default.contents(atPath: target.path) else {
            throw RunDirectoryError("\(target.path) is missing. Is \(url.path) a run directory written by `metalearn train`?")
        }
        do { return try JSONDecoder.metalearn().decode(type, from: data) } catch {
            throw RunDirectoryError("\(target.path) is not valid (\(error)). Restore it, or start a new run.")
        }
    }

    /// Writes bytes atomically (temporary file, then rename).
    public func write(_ data: Data, to name: String) throws {
        do { try data.write(to: file(name), options: .atomic) } catch {
            throw RunDirectoryError("cannot write \(file(name).path): \(error.localizedDescription)")
        }
    }

    /// Appends records to log.jsonl.
    public func appendLog(_ records: [LogRecord]) throws { try appendJSONLines(records, to: logURL) }

    /// Appends one JSON object per line to `target` (created if absent).
    public func appendJSONLines<Record: Encodable>(_ records: [Record], to target: URL) throws {
        guard !records.isEmpty else { return }
        let encoder = JSONEncoder.metalearn()
        var text = Data()
        for record in records { text += try encoder.encode(record) + Data("\n".utf8) }
        do {
            if !FileManager.default.fileExists(atPath: target.path) {
                _ = FileManager.default.createFile(atPath: target.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: target)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: text)
        } catch {
            throw RunDirectoryError("cannot append to \(target.path): \(error.localizedDescription)")
        }
    }

    /// Every record of log.jsonl (an absent log is empty; an unreadable line is skipped).
    public func readLog() -> [LogRecord] {
        guard let data = FileManager.default.contents(atPath: logURL.path) else { return [] }
        let decoder = JSONDecoder.metalearn()
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(LogRecord.self, from: Data($0)) }
    }

    /// Drops log records after `iteration`: on resume, the checkpoint may be older than the log.
    public func truncateLog(after iteration: Int) throws {
        let kept = readLog().filter { $0.iteration <= iteration }
        try? FileManager.default.removeItem(at: logURL)
        try appendLog(kept)
    }
}

/// A run-directory problem, with what to do about it.
public struct RunDirectoryError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
