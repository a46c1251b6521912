// `metalearn train`: builds the learner and task streams from the flags, runs the training loop
// in a run directory (resuming from its checkpoint when asked) and writes results and plots.

import Datasets
import Foundation
import Kernels
import MetaLearning
import NN

/// Training stopped on a NaN or infinity; the message names the last good checkpoint.
struct TrainingFailure: Error, CustomStringConvertible {
    var description: String
}

/// What results.json holds after training.
struct TrainResults: Codable {
    var method: String
    var batchNorm: String
    var lossReduction: String
    var model: String
    var dataset: String
    /// Multi-dataset runs: the training files in round-robin order (the validation score is their mean).
    var datasets: [String]?
    var iterations: Int
    var secondsThisSession: Double
    /// The process's peak resident memory in MiB (the maximum resident set size).
    var peakMemoryMiB: Double?
    var finalTrainLoss: Double?
    var finalTrainAccuracy: Double?
    var lastValidation: LogRecord?
    var bestValidation: LogRecord?
    var checkpoint: String
    var bestCheckpoint: String?
}

/// `Memory.peakResidentMiB`, one decimal.
func peakMemoryMiB() -> Double? {
    Memory.peakResidentMiB().map { ($0 * 10).rounded() / 10 }
}

enum TrainCommand {
    /// "  round robin over 3 datasets: iteration i draws its meta-batch from dataset i mod 3 (1: b, 2: c, 3: a, ...)".
    static func roundRobinLine(_ datasets: [DatasetSplits]) -> String {
        let names = datasets.map { DatasetChoice.shortName($0.train) }
        let order = (1...names.count).map { "\($0): \(names[$0 % names.count])" }.joined(separator: ", ")
        return "  round robin over \(names.count) datasets (l2b): iteration i draws its whole meta-batch from dataset "
            + "i mod \(names.count) (\(order), ...); validation: mean over the datasets"
    }

    static func run(_ arguments: [String]) throws {
        let flags = try ArgumentList(arguments, command: "train", options: TrainFlags.options, switches: TrainFlags.switches)
        if flags.has("help") { print(TrainFlags.usage); return }
        if let threads = try flags.integer("threads", in: 1...1024) { Parallelism.threads = threads }
        let (config, resume) = try TrainFlags.parse(flags)
        let run = RunDirectory(url: URL(fileURLWithPath: config.runDirectory))
        try prepare(run, config: config, resume: resume)
        let seeds = RunSeeds(config.seed)
        let quiet = flags.has("quiet")
        switch config.profile {
        case .sinusoid:
            _ = try trainSinusoid(config, seeds: seeds, run: run, resume: resume, quiet: quiet)
        case .omniglot where config.method == .taml, .images where config.method == .taml:
            try TAMLTraining.train(config, seeds: seeds, run: run, resume: resume, quiet: quiet)
        case .omniglot, .images:
            let setup = try ImageSetup(config, validationSeed: seeds.validation)
            let usage = DatasetUsage()
            let log = datasetLog(config, setup: setup, run: run, usage: usage)
            var validate: ((MetaLearner<ConvNet4>, TrainingState) -> EvaluationResult)? = nil
            if !setup.validation.isEmpty {
                try setup.saveValidationEpisodes(in: run)
                let sets = setup.validation
                validate = { learner, state in
                    DatasetLog.validate(sets, log: log) { set in
                        learner.evaluate(parameters: state.parameters, stepSizes: state.stepSizes,
                                         taskCount: set.episodes.count, steps: config.testInnerSteps) {
                            set.episodes.task($0, from: set.file)
                        }
                    }
                }
            } else if !quiet {
                print(noValidationNote(setup) + " training without validation.")
            }
            let source = try setup.taskSource(randomState: seeds.taskStream, usage: usage)
            _ = try train(config, learner: config.learner(setup.model), source: source, seeds: seeds, run: run,
                          resume: resume, quiet: quiet, validate: validate, datasetLog: log)
        }
        if !quiet { print("run directory: \(run.url.path)") }
    }

    /// Trains MAML's sinusoid regressor; validates on fixed tasks and draws sinusoid.svg.
    static func trainSinusoid(_ config: TrainConfig, seeds: RunSeeds, run: RunDirectory, resume: Bool,
                              quiet: Bool) throws -> (MetaLearner<MLP>, TrainingState) {
        let learner = config.learner(config.sinusoidModel)
        let validation = SinusoidTaskSource.fixedEpisodes(
            count: config.validationEpisodes, shots: config.shot, queries: sinusoidEvaluationQueries,
            seed: seeds.validation).map(FewShotTask.init)
        let source = SinusoidTaskSource(shots: config.shot, queries: config.query, randomState: seeds.taskStream)
        let state = try train(config, learner: learner, source: source, seeds: seeds, run: run, resume: resume,
                              quiet: quiet) { learner, state in
            learner.evaluate(parameters: state.parameters, stepSizes: state.stepSizes, tasks: validation,
                             steps: config.testInnerSteps)
        }
        try Figures.sinusoidPicture(learner: learner, state: state, shots: config.shot, seed: seeds.validation)
            .write(to: run.file("sinusoid.svg"))
        return (learner, state)
    }

    /// Checks that the run directory fits the request, creates it and saves the configuration.
    static func prepare(_ run: RunDirectory, config: TrainConfig, resume: Bool) throws {
        let hasCheckpoint = FileManager.default.fileExists(atPath: run.checkpointURL.path)
        if !resume && hasCheckpoint {
            let iteration = (try? Checkpoint(contentsOf: run.checkpointURL)).map { " at iteration \($0.state.iteration)" } ?? ""
            throw UsageError("\(run.url.path) already holds a run (checkpoint\(iteration)). Add --resume to continue it, "
                + "or choose another --run-dir.")
        }
        if resume && !hasCheckpoint {
            throw UsageError("nothing to resume: \(run.url.path) has no checkpoint.mlck yet. Start the run without --resume.")
        }
        try run.create()
        try run.writeJSON(config, to: "config.json")
    }

    /// The per-dataset log of a multi-dataset run (nil for one dataset).
    static func datasetLog(_ config: TrainConfig, setup: ImageSetup, run: RunDirectory, usage: DatasetUsage) -> DatasetLog? {
        guard let datasets = config.datasets else { return nil }
        return DatasetLog(run: run, trainFiles: datasets.map(\.train), validationFiles: setup.validation.map(\.file.path),
                          usage: usage)
    }

    /// Why a run has no validation, e.g. "note: no validation split next to a-train.mlds (looked for *val*.mlds):".
    static func noValidationNote(_ setup: ImageSetup) -> String {
        let files = setup.missingValidation.joined(separator: ", ")
        return "note: no validation split next to \(files) (looked for *val*.mlds)"
            + (setup.trainSamplers.count > 1 ? "; the mean over the datasets needs every one:" : ":")
    }

    /// Trains `learner` (from scratch or from the run's checkpoint) and writes results.json and plots.
    static func train<Model: FewShotModel, Source: ResumableTaskSource>(
        _ config: TrainConfig, learner: MetaLearner<Model>, source: Source, seeds: RunSeeds, run: RunDirectory,
        resume: Bool, quiet: Bool, validate: ((MetaLearner<Model>, TrainingState) -> EvaluationResult)?,
        datasetLog: DatasetLog? = nil
    ) throws -> TrainingState {
        var source = source
        var generator = seeds.initialization
        let fresh = learner.model.initialParameters(using: &generator)
        var trainer = MetaTrainer(learner: learner, parameters: fresh, metaLearningRate: config.metaLearningRate,
                                  clipValue: config.clip, taskStreamState: seeds.taskStream)
        if resume {
            let checkpoint = try Checkpoint(contentsOf: run.checkpointURL)
            try checkCompatible(checkpoint, with: config, fresh: fresh, path: run.checkpointURL.path)
            trainer = MetaTrainer(learner: learner, state: checkpoint.state)
            try run.truncateLog(after: checkpoint.state.iteration)
        }
        let first = trainer.state.iteration
        try datasetLog?.truncate(after: first)  // a new run starts an empty one
        source.resume(afterIteration: first)
        if !quiet {
            let shape = config.way.map { "\($0)-way \(config.shot)-shot, \(config.query) queries per class" }
                ?? "\(config.shot)-shot, \(config.query) query points"
            print("metalearn train: \(config.method.rawValue) on \(config.profile == .sinusoid ? "sinusoid" : config.dataset)")
            print("  \(shape); \(config.modelDescription); \(config.innerSteps) inner step(s) α \(config.innerLearningRate), "
                + "loss \(kebabCase(config.lossReduction.rawValue)); Adam β \(config.metaLearningRate), meta-batch "
                + "\(config.metaBatchSize)\(config.clip.map { ", clip ±\($0)" } ?? ""); \(Parallelism.threads) thread(s)")
            print(resume ? "  resuming at iteration \(first) of \(config.iterations)" : "  \(config.iterations) iterations")
            if let datasets = config.datasets { print(roundRobinLine(datasets)) }
        }
        let schedule = TrainingSchedule(iterations: config.iterations, metaBatchSize: config.metaBatchSize,
                                        logInterval: config.logInterval, validationInterval: config.validationInterval,
                                        checkpointInterval: config.checkpointInterval)
        var loop = TrainingLoop(trainer: trainer, source: source, schedule: schedule, runDirectory: run,
                                metadata: checkpointMetadata(config), validate: validate)
        let reporter = ProgressReporter(total: config.iterations, firstIteration: first,
                                        regression: config.profile == .sinusoid, quiet: quiet)
        let start = Date()
        do {
            try loop.run { event in
                reporter.handle(event)
                datasetLog?.handle(event, reporter: reporter)
                if case .checkpoint = event { try? Figures.writeLearningCurves(run, regression: config.profile == .sinusoid) }
            }
        } catch let error as TrainingError {
            reporter.finish()
            let saved = (try? Checkpoint(contentsOf: run.checkpointURL)).map {
                "The last good checkpoint, \(run.checkpointURL.path) (iteration \($0.state.iteration)), is kept."
            } ?? "No checkpoint had been written yet."
            throw TrainingFailure(description: "training stopped: \(error.description) \(saved)")
        }
        reporter.finish()
        if let error = datasetLog?.writeError { throw error }
        try Figures.writeLearningCurves(run, regression: config.profile == .sinusoid)
        let log = run.readLog(), validation = log.filter { $0.event == "validation" }
        let lastTrain = log.last { $0.event == "train" }
        try run.writeJSON(TrainResults(
            method: config.method.rawValue, batchNorm: kebabCase(config.batchNorm.rawValue),
            lossReduction: kebabCase(config.lossReduction.rawValue), model: config.modelDescription,
            dataset: config.dataset, datasets: config.datasets?.map(\.train), iterations: loop.trainer.state.iteration,
            secondsThisSession: Date().timeIntervalSince(start), peakMemoryMiB: peakMemoryMiB(), finalTrainLoss: lastTrain?.loss,
            finalTrainAccuracy: lastTrain?.accuracy, lastValidation: validation.last,
            bestValidation: validation.max { $0.validationScore < $1.validationScore },
            checkpoint: run.checkpointURL.path,
            bestCheckpoint: validation.isEmpty ? nil : run.bestCheckpointURL.path), to: "results.json")
        return loop.trainer.state
    }
}
