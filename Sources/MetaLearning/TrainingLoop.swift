// The meta-training loop: step, log, validate, checkpoint. Resuming means constructing the loop
// with a checkpoint's state: the task stream continues from the saved state, so the result is
// bit-identical to an uninterrupted run.

import Foundation

/// How long to train and how often to log, validate and save.
public struct TrainingSchedule: Sendable, Equatable {
    /// Total meta-iterations (a resumed run continues up to this number).
    public var iterations: Int
    public var metaBatchSize: Int
    /// Log the mean training metrics every this many iterations.
    public var logInterval: Int
    /// Validate every this many iterations (0: never).
    public var validationInterval: Int
    /// Write checkpoint.mlck every this many iterations (and always at the end).
    public var checkpointInterval: Int

    public init(iterations: Int, metaBatchSize: Int, logInterval: Int, validationInterval: Int, checkpointInterval: Int) {
        self.iterations = iterations
        self.metaBatchSize = metaBatchSize
        self.logInterval = max(1, logInterval)
        self.validationInterval = max(0, validationInterval)
        self.checkpointInterval = max(1, checkpointInterval)
    }
}

/// What the loop reports while it runs.
public enum TrainingEvent: Sendable {
    case iteration(IterationMetrics)
    case trainLog(LogRecord)
    case validation(LogRecord, isBest: Bool)
    case checkpoint(iteration: Int, url: URL)
}

/// A meta-learner with its training state that takes one meta-iteration at a time
/// (`MetaTrainer` for MAML, first-order MAML and Meta-SGD; `TAMLTrainer` for Bayesian TAML).
public protocol MetaTraining {
    associatedtype Learner
    var learner: Learner { get }
    var state: TrainingState { get }
    /// Draws the next meta-batch from `source` (from `state.taskStreamState`) and steps on it.
    mutating func step(drawingFrom source: inout some TaskSource, metaBatchSize: Int) throws -> IterationMetrics
}

extension MetaTrainer: MetaTraining {}

/// Meta-training with logging, validation and atomic checkpoints in a run directory.
public struct TrainingLoop<Trainer: MetaTraining, Source: TaskSource> {
    public var trainer: Trainer
    public var source: Source
    public var schedule: TrainingSchedule
    /// Where log.jsonl and the checkpoints go; nil keeps everything in memory.
    public var runDirectory: RunDirectory?
    /// Stored in every checkpoint (model and method description, checked on resume).
    public var metadata: [String: String]
    /// Scores the current θ (and α) on the validation tasks, with the inner steps it chooses.
    public var validate: ((Trainer.Learner, TrainingState) -> EvaluationResult)?
    /// Called every `every` iterations after validation (e.g. Bayesian TAML's balancing printouts).
    public var inspection: (every: Int, body: (Trainer.Learner, TrainingState) throws -> Void)?

    public init(trainer: Trainer, source: Source, schedule: TrainingSchedule, runDirectory: RunDirectory?,
                metadata: [String: String] = [:],
                validate: ((Trainer.Learner, TrainingState) -> EvaluationResult)? = nil) {
        self.trainer = trainer
        self.source = source
        self.schedule = schedule
        self.runDirectory = runDirectory
        self.metadata = metadata
        self.validate = validate
    }

    /// Trains until `schedule.iterations`, calling `observe` after every event.
    ///
    /// - Throws: `TrainingError.nonFinite` when an iteration produces NaN or infinity: nothing of
    ///   that iteration is saved, so checkpoint.mlck is still the last good state. I/O errors
    ///   from the run directory are passed on.
    public mutating func run(observe: (TrainingEvent) -> Void = { _ in }) throws {
        let earlier = loggedRecords()
        // The log's time goes on where a resumed run stopped: from its last line kept. The time between
        // that line and the checkpoint, at most one log interval, is not counted.
        let start = Date(), secondsBefore = earlier.last?.seconds ?? 0
        let seconds = { secondsBefore + Date().timeIntervalSince(start) }
        var window: [IterationMetrics] = []
        var best = earlier.filter { $0.event == "validation" }.map(\.validationScore).max()
        while trainer.state.iteration < schedule.iterations {
            let metrics = try trainer.step(drawingFrom: &source, metaBatchSize: schedule.metaBatchSize)
            observe(.iteration(metrics))
            window.append(metrics)
            let iteration = metrics.iteration, isLast = iteration == schedule.iterations
            var records: [LogRecord] = []
            if iteration % schedule.logInterval == 0 || isLast {
                let record = LogRecord(
                    event: "train", iteration: iteration,
                    loss: window.reduce(0) { $0 + Double($1.queryLoss) } / Double(window.count),
                    accuracy: window.first?.queryAccuracy == nil ? nil
                        : window.reduce(0) { $0 + Double($1.queryAccuracy ?? 0) } / Double(window.count),
                    kl: window.first?.klTerm == nil ? nil
                        : window.reduce(0) { $0 + Double($1.klTerm ?? 0) } / Double(window.count),
                    seconds: seconds())
                window = []
                records.append(record)
                observe(.trainLog(record))
            }
            if let validate, schedule.validationInterval > 0, iteration % schedule.validationInterval == 0 || isLast {
                let final = validate(trainer.learner, trainer.state).final
                let record = LogRecord(event: "validation", iteration: iteration, loss: final.loss.mean,
                                       accuracy: final.accuracy?.mean, ci95: (final.accuracy ?? final.loss).ci95,
                                       steps: final.steps, seconds: seconds())
                let score = record.validationScore
                let isBest = best.map { score > $0 } ?? true
                if isBest {
                    best = score
                    try runDirectory.map { try checkpoint().write(to: $0.bestCheckpointURL) }
                }
                records.append(record)
                observe(.validation(record, isBest: isBest))
            }
            if let inspection, inspection.every > 0, iteration % inspection.every == 0 {
                try inspection.body(trainer.learner, trainer.state)
            }
            try runDirectory?.appendLog(records)
            if let runDirectory, iteration % schedule.checkpointInterval == 0 || isLast {
                try checkpoint().write(to: runDirectory.checkpointURL)
                observe(.checkpoint(iteration: iteration, url: runDirectory.checkpointURL))
            }
        }
    }

    /// The current state as a checkpoint.
    public func checkpoint() -> Checkpoint { Checkpoint(state: trainer.state, metadata: metadata) }

    /// The log lines of earlier runs up to the current iteration (none for a new run).
    func loggedRecords() -> [LogRecord] {
        guard let runDirectory, trainer.state.iteration > 0 else { return [] }
        return runDirectory.readLog().filter { $0.iteration <= trainer.state.iteration }
    }
}

extension LogRecord {
    /// Higher is better: accuracy for classification, −loss for regression.
    public var validationScore: Double { accuracy ?? -loss }
}
