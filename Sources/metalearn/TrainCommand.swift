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
    var iterations: Int
    var secondsThisSession: Double
    var finalTrainLoss: Double?
    var finalTrainAccuracy: Double?
    var lastValidation: LogRecord?
    var bestValidation: LogRecord?
    var checkpoint: String
    var bestCheckpoint: String?
}

enum TrainCommand {
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
            var validate: ((MetaLearner<ConvNet4>, TrainingState) -> EvaluationResult)? = nil
            if let episodes = setup.validation, let file = setup.validationFile {
                try episodes.save(to: run.file("validation-episodes.json"))
                validate = { learner, state in
                    learner.evaluate(parameters: state.parameters, stepSizes: state.stepSizes, taskCount: episodes.count,
                                     steps: config.testInnerSteps) { episodes.task($0, from: file) }
                }
            } else if !quiet {
                print("note: no validation split next to \(config.dataset) (looked for *val*.mlds): training without validation.")
            }
            let source = EpisodeTaskSource(sampler: setup.train, randomState: seeds.taskStream)
            _ = try train(config, learner: config.learner(setup.model), source: source, seeds: seeds, run: run,
                          resume: resume, quiet: quiet, validate: validate)
        }
        if !quiet { print("run directory: \(run.url.path)") }
    }

    /// Trains MAML's sinusoid regressor; validates on fixed tasks and draws sinusoid.svg.
    static func trainSinusoid(_ config: TrainConfig, seeds: RunSeeds, run: RunDirectory, resume: Bool,
                              quiet: Bool) throws -> (MetaLearner<MLP>, TrainingState) {
        let learner = config.learner(MLP())
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

    /// Trains `learner` (from scratch or from the run's checkpoint) and writes results.json and plots.
    static func train<Model: FewShotModel, Source: TaskSource>(
        _ config: TrainConfig, learner: MetaLearner<Model>, source: Source, seeds: RunSeeds, run: RunDirectory,
        resume: Bool, quiet: Bool, validate: ((MetaLearner<Model>, TrainingState) -> EvaluationResult)?
    ) throws -> TrainingState {
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
        if !quiet {
            let shape = config.way.map { "\($0)-way \(config.shot)-shot, \(config.query) queries per class" }
                ?? "\(config.shot)-shot, \(config.query) query points"
            print("metalearn train: \(config.method.rawValue) on \(config.profile == .sinusoid ? "sinusoid" : config.dataset)")
            print("  \(shape); \(config.modelDescription); \(config.innerSteps) inner step(s) α \(config.innerLearningRate), "
                + "loss \(kebabCase(config.lossReduction.rawValue)); Adam β \(config.metaLearningRate), meta-batch "
                + "\(config.metaBatchSize)\(config.clip.map { ", clip ±\($0)" } ?? ""); \(Parallelism.threads) thread(s)")
            print(resume ? "  resuming at iteration \(first) of \(config.iterations)" : "  \(config.iterations) iterations")
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
        try Figures.writeLearningCurves(run, regression: config.profile == .sinusoid)
        let log = run.readLog(), validation = log.filter { $0.event == "validation" }
        let lastTrain = log.last { $0.event == "train" }
        try run.writeJSON(TrainResults(
            method: config.method.rawValue, batchNorm: kebabCase(config.batchNorm.rawValue),
            lossReduction: kebabCase(config.lossReduction.rawValue), model: config.modelDescription,
            dataset: config.dataset, iterations: loop.trainer.state.iteration,
            secondsThisSession: Date().timeIntervalSince(start), finalTrainLoss: lastTrain?.loss,
            finalTrainAccuracy: lastTrain?.accuracy, lastValidation: validation.last,
            bestValidation: validation.max { $0.validationScore < $1.validationScore },
            checkpoint: run.checkpointURL.path,
            bestCheckpoint: validation.isEmpty ? nil : run.bestCheckpointURL.path), to: "results.json")
        return loop.trainer.state
    }
}
