// `metalearn train --method taml` and `metalearn test` of a TAML run: Bayesian TAML on image
// episodes, validated with posterior means, with l2b's balancing printouts and plots.

import Datasets
import Foundation
import Kernels
import MetaLearning
import NN
import Randomness

enum TAMLTraining {
    /// The Bayesian TAML model of a configuration around its ConvNet4.
    static func model(_ config: TrainConfig, network: ConvNet4) -> BayesianTAML<ConvNet4> {
        let settings = config.taml ?? TAMLSettings(maxShot: config.shot)
        let encoder = SetEncoder(imageSize: network.imageSize, inputChannels: network.inputChannels,
                                 maxShot: settings.maxShot, baseConvLayers: 4, baseFilters: network.filters)
        var taml = BayesianTAML(model: network, encoder: encoder, options: settings.options,
                                innerSteps: config.innerSteps, innerLearningRate: config.innerLearningRate)
        taml.replaysPrimals = config.primalReplay ?? true
        return taml
    }

    static func train(_ config: TrainConfig, seeds: RunSeeds, run: RunDirectory, resume: Bool, quiet: Bool) throws {
        let setup = try ImageSetup(config, validationSeed: seeds.validation)
        let taml = model(config, network: setup.model)
        var generator = seeds.initialization
        let fresh = setup.model.initialParameters(using: &generator)
        var trainer: TAMLTrainer<ConvNet4>
        do {
            trainer = try TAMLTrainer(learner: taml, parameters: fresh, using: &generator,
                                      metaLearningRate: config.metaLearningRate, clipValue: config.clip,
                                      taskStreamState: seeds.taskStream)
        } catch { throw UsageError(error.description) }
        if resume {
            let checkpoint = try Checkpoint(contentsOf: run.checkpointURL)
            try checkCompatible(checkpoint, config: config, expected: trainer.state, path: run.checkpointURL.path)
            trainer = TAMLTrainer(learner: taml, state: checkpoint.state)
            try run.truncateLog(after: checkpoint.state.iteration)
        }
        let usage = DatasetUsage()
        let datasetLog = TrainCommand.datasetLog(config, setup: setup, run: run, usage: usage)
        try datasetLog?.truncate(after: trainer.state.iteration)  // a new run starts an empty one
        let settings = config.taml!
        if !quiet {
            print("metalearn train: Bayesian TAML (\(settings.summary)) on \(config.dataset)")
            print("  \(config.way ?? 0)-way " + (settings.anyShot ? "1…\(settings.maxShot)" : "\(config.shot)")
                + "-shot, \(config.query) queries per class; \(config.modelDescription); \(config.innerSteps) inner "
                + "step(s) α₀ \(config.innerLearningRate); Adam β \(config.metaLearningRate), meta-batch "
                + "\(config.metaBatchSize)\(config.clip.map { ", clip ±\($0)" } ?? ""); \(Parallelism.threads) thread(s)")
            print(resume ? "  resuming at iteration \(trainer.state.iteration) of \(config.iterations)"
                : "  \(config.iterations) iterations")
            if let datasets = config.datasets { print(TrainCommand.roundRobinLine(datasets)) }
        }
        let schedule = TrainingSchedule(iterations: config.iterations, metaBatchSize: config.metaBatchSize,
                                        logInterval: config.logInterval, validationInterval: config.validationInterval,
                                        checkpointInterval: config.checkpointInterval)
        var source = try setup.taskSource(randomState: seeds.taskStream, usage: usage)
        source.resume(afterIteration: trainer.state.iteration)
        var loop = TrainingLoop(trainer: trainer, source: source, schedule: schedule, runDirectory: run,
                                metadata: checkpointMetadata(config))
        if !setup.validation.isEmpty {
            try setup.saveValidationEpisodes(in: run)
            let sets = setup.validation
            loop.validate = { taml, state in
                DatasetLog.validate(sets, log: datasetLog) { set in
                    taml.evaluate(parameters: state.parameters, stepSizes: state.stepSizes,
                                  encoderParameters: state.encoderParameters, taskCount: set.episodes.count,
                                  steps: config.testInnerSteps, samples: 0, seed: 0) { set.episodes.task($0, from: set.file) }
                }
            }
            // l2b prints the balancing variables of the first dataset's validation tasks.
            let first = sets[0]
            if settings.printBalancingEvery > 0 && taml.options.usesEncoder {
                loop.inspection = (settings.printBalancingEvery, { taml, state in
                    try printBalancing(taml, state: state,
                                       tasks: (0..<min(10, first.episodes.count)).map { first.episodes.task($0, from: first.file) },
                                       run: run, quiet: quiet)
                })
            }
        } else if !quiet {
            print(TrainCommand.noValidationNote(setup) + " no validation and no balancing printouts.")
        }
        let reporter = ProgressReporter(total: config.iterations, firstIteration: loop.trainer.state.iteration,
                                        regression: false, quiet: quiet)
        let start = Date()
        do {
            try loop.run { event in
                reporter.handle(event)
                datasetLog?.handle(event, reporter: reporter)
                if case .checkpoint = event { try? Figures.writeLearningCurves(run, regression: false) }
            }
        } catch let error as TrainingError {
            reporter.finish()
            throw TrainingFailure(description: "training stopped: \(error.description) The last good checkpoint is "
                + "\(run.checkpointURL.path) (if one was written).")
        }
        reporter.finish()
        if let error = datasetLog?.writeError { throw error }
        try Figures.writeLearningCurves(run, regression: false)
        let log = run.readLog(), validation = log.filter { $0.event == "validation" }
        let lastTrain = log.last { $0.event == "train" }
        try run.writeJSON(TrainResults(
            method: config.method.rawValue, batchNorm: kebabCase(config.batchNorm.rawValue),
            lossReduction: "class-balanced", model: config.modelDescription, dataset: config.dataset,
            datasets: config.datasets?.map(\.train), iterations: loop.trainer.state.iteration,
            secondsThisSession: Date().timeIntervalSince(start), peakMemoryMiB: peakMemoryMiB(),
            finalTrainLoss: lastTrain?.loss, finalTrainAccuracy: lastTrain?.accuracy, lastValidation: validation.last,
            bestValidation: validation.max { $0.validationScore < $1.validationScore },
            checkpoint: run.checkpointURL.path,
            bestCheckpoint: validation.isEmpty ? nil : run.bestCheckpointURL.path), to: "results.json")
    }

    /// l2b's tables on the first validation tasks; balancing.txt, balancing-gamma.svg and
    /// balancing-omega.svg in the run directory hold the latest.
    static func printBalancing(_ taml: BayesianTAML<ConvNet4>, state: TrainingState, tasks: [FewShotTask],
                               run: RunDirectory, quiet: Bool) throws {
        guard let phi = state.encoderParameters else { return }
        let snapshots = tasks.enumerated().map { taml.balancingSnapshot(encoderParameters: phi, task: $1, number: $0) }
        let text = "iteration \(state.iteration)\n" + balancingTables(snapshots)
        if !quiet { print("\n" + text, terminator: "") }
        try run.write(Data(text.utf8), to: "balancing.txt")
        try gammaPlot(snapshots, iteration: state.iteration)?.write(to: run.file("balancing-gamma.svg"))
        try omegaPlot(snapshots, iteration: state.iteration)?.write(to: run.file("balancing-omega.svg"))
    }

    /// A TAML checkpoint must hold θ, α and φ of the expected names and shapes.
    static func checkCompatible(_ checkpoint: Checkpoint, config: TrainConfig, expected: TrainingState, path: String) throws {
        let savedModel = checkpoint.metadata["model"] ?? "?", savedMethod = checkpoint.metadata["method"] ?? "?"
        guard savedModel == config.modelDescription, savedMethod == config.method.rawValue else {
            throw CheckpointError.incompatible(path: path, reason: "it holds a \(savedMethod) \(savedModel), but this run "
                + "is \(config.method.rawValue) \(config.modelDescription)")
        }
        func signature(_ p: Parameters?) -> [String]? { p.map { zip($0.names, $0.tensors).map { "\($0) \($1.shape)" } } }
        let state = checkpoint.state
        guard signature(state.parameters) == signature(expected.parameters),
              signature(state.stepSizes) == signature(expected.stepSizes),
              signature(state.encoderParameters) == signature(expected.encoderParameters) else {
            throw CheckpointError.incompatible(path: path, reason: "its θ, α or encoder parameters differ in names or "
                + "shapes from this Bayesian TAML configuration")
        }
    }
}

extension TAMLTraining {
    /// `metalearn test` of a TAML run: S Monte-Carlo samples per episode with averaged softmax
    /// (0: posterior means), after `steps` inner steps.
    static func evaluate(_ config: TrainConfig, network: ConvNet4, checkpoint: Checkpoint, path: String,
                         episodes: FixedEpisodes, file: DatasetFile, steps: Int, seed: UInt64,
                         samples: Int) throws -> EvaluationResult {
        let taml = model(config, network: network)
        var generator = SplitMix64(seed: 0)
        let fresh: TrainingState
        do {
            fresh = try TAMLTrainer(learner: taml, parameters: network.initialParameters(using: &generator),
                                    using: &generator, metaLearningRate: 1, taskStreamState: 0).state
        } catch { throw UsageError(error.description) }
        try checkCompatible(checkpoint, config: config, expected: fresh, path: path)
        let state = checkpoint.state
        if samples > 0 && taml.options.usesEncoder && taml.options.bayesian {
            print("  \(samples) Monte-Carlo samples per episode, softmax averaged")
        }
        return taml.evaluate(parameters: state.parameters, stepSizes: state.stepSizes,
                             encoderParameters: state.encoderParameters, taskCount: episodes.count, steps: steps,
                             samples: samples, seed: seed) { episodes.task($0, from: file) }
    }
}
