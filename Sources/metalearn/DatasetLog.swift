// Multi-dataset runs: the validation score l2b selects on (the mean over the datasets) and
// datasets.jsonl, one JSON object per dataset and event with that dataset's own metrics.

import Foundation
import MetaLearning

/// One line of datasets.jsonl.
struct DatasetLogRecord: Codable, Equatable {
    /// "train" (mean over the iterations of the logging window that drew from this dataset) or "validation".
    var event: String
    /// Meta-iterations completed.
    var iteration: Int
    /// Position of the dataset in --dataset (0-based).
    var dataset: Int
    /// The training file (train) or the validation file (validation).
    var file: String
    /// Train: meta-iterations of the window that drew from this dataset.
    var iterations: Int?
    var loss: Double
    var accuracy: Double?
    var ci95: Double?
    var steps: Int?
}

/// Collects per-dataset metrics while a multi-dataset run trains and writes them to datasets.jsonl.
final class DatasetLog {
    static let fileName = "datasets.jsonl"
    let run: RunDirectory
    let trainFiles: [String]
    let validationFiles: [String]
    let usage: DatasetUsage
    private var window: [(loss: Double, accuracy: Double, count: Int)]
    private var pendingValidation: [EvaluationResult]?
    /// The first failed write, reported when training ends.
    private(set) var writeError: Error?

    init(run: RunDirectory, trainFiles: [String], validationFiles: [String], usage: DatasetUsage) {
        self.run = run
        self.trainFiles = trainFiles
        self.validationFiles = validationFiles
        self.usage = usage
        window = Array(repeating: (0, 0, 0), count: trainFiles.count)
    }

    var url: URL { run.file(Self.fileName) }

    /// Evaluates every dataset's validation episodes, keeps the per-dataset results for the log and
    /// returns their mean (one dataset: its result, unchanged).
    static func validate(_ sets: [ValidationSet], log: DatasetLog?,
                         evaluate: (ValidationSet) -> EvaluationResult) -> EvaluationResult {
        if sets.count == 1 { return evaluate(sets[0]) }
        let results = sets.map(evaluate)
        log?.pendingValidation = results
        return meanOverDatasets(results)
    }

    /// The mean over datasets of each dataset's mean, after every number of steps (l2b: the mean ID
    /// validation accuracy; with equal episode counts also the mean over all episodes). The 95%
    /// half-width of a mean of D independent means is √(Σ ci_d²)/D; `standardDeviation` is the
    /// one that gives this half-width over all episodes.
    static func meanOverDatasets(_ results: [EvaluationResult]) -> EvaluationResult {
        var combined = results[0]
        combined.episodes = results.map(\.episodes).reduce(0, +)
        for k in combined.perStep.indices {
            let steps = results.map { $0.perStep[k] }
            combined.perStep[k].loss = meanOfMeans(steps.map(\.loss))
            let accuracies = steps.compactMap(\.accuracy)
            combined.perStep[k].accuracy = accuracies.count == steps.count ? meanOfMeans(accuracies) : nil
            combined.perStep[k].divergedEpisodes = steps.map(\.divergedEpisodes).reduce(0, +)
        }
        return combined
    }

    static func meanOfMeans(_ parts: [MeanWithInterval]) -> MeanWithInterval {
        let count = Double(parts.count)
        return MeanWithInterval(mean: parts.map(\.mean).reduce(0, +) / count,
                                ci95: parts.map { $0.ci95 * $0.ci95 }.reduce(0, +).squareRoot() / count,
                                count: parts.map(\.count).reduce(0, +))
    }

    /// Follows the training loop: per-dataset means at every training log, per-dataset scores at
    /// every validation (also printed).
    func handle(_ event: TrainingEvent, reporter: ProgressReporter) {
        switch event {
        case .iteration(let metrics):
            guard let last = usage.last, last.iteration == metrics.iteration else { return }
            window[last.dataset].loss += Double(metrics.queryLoss)
            window[last.dataset].accuracy += Double(metrics.queryAccuracy ?? 0)
            window[last.dataset].count += 1
        case .trainLog(let record):
            let records = window.enumerated().filter { $0.element.count > 0 }.map { index, sums in
                DatasetLogRecord(event: "train", iteration: record.iteration, dataset: index, file: trainFiles[index],
                                 iterations: sums.count, loss: sums.loss / Double(sums.count),
                                 accuracy: sums.accuracy / Double(sums.count))
            }
            window = Array(repeating: (0, 0, 0), count: trainFiles.count)
            append(records)
        case .validation(let record, _):
            guard let results = pendingValidation else { return }
            pendingValidation = nil
            let records = results.enumerated().map { index, result in
                DatasetLogRecord(event: "validation", iteration: record.iteration, dataset: index,
                                 file: validationFiles[index], loss: result.final.loss.mean,
                                 accuracy: result.final.accuracy?.mean, ci95: result.final.accuracy?.ci95,
                                 steps: result.final.steps)
            }
            append(records)
            reporter.emit("  per dataset: " + records.map { record in
                let name = DatasetChoice.shortName(trainFiles[record.dataset])
                return "\(name) " + (record.accuracy.map { "\(percent($0)) ± \(percent(record.ci95 ?? 0))" }
                    ?? String(format: "loss %.4f", record.loss))
            }.joined(separator: ", "))
        case .checkpoint:
            break
        }
    }

    /// Every record of datasets.jsonl (absent: none).
    func read() -> [DatasetLogRecord] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        let decoder = JSONDecoder.metalearn()
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(DatasetLogRecord.self, from: Data($0)) }
    }

    /// Drops records after `iteration` (on resume, the checkpoint may be older than the log).
    func truncate(after iteration: Int) throws {
        let kept = read().filter { $0.iteration <= iteration }
        try? FileManager.default.removeItem(at: url)
        append(kept)
        if let writeError { throw writeError }
    }

    private func append(_ records: [DatasetLogRecord]) {
        guard writeError == nil else { return }
        do { try run.appendJSONLines(records, to: url) } catch { writeError = error }
    }
}
