// Builds what a configuration trains and evaluates on: the network, the training-task stream and
// fixed evaluation tasks (sinusoids from a seed, image episodes from Datasets' FixedEpisodes).

import Datasets
import Foundation
import MetaLearning
import NN
import Randomness

/// The seeds one run seed fans out into (SplitMix64 sub-streams): initialization, training tasks
/// and validation tasks never share random numbers.
struct RunSeeds {
    var initialization: SplitMix64
    var taskStream: UInt64
    var validation: UInt64

    init(_ seed: UInt64) {
        var root = SplitMix64(seed: seed)
        initialization = root.split()
        taskStream = root.next()
        validation = root.next()
    }
}

/// Sinusoid evaluation tasks have this many query points (MAML-tf scores only K; more points
/// estimate the same expected error with less noise).
let sinusoidEvaluationQueries = 100

/// Validation episodes of one dataset, fixed by the run's validation seed.
struct ValidationSet {
    let episodes: FixedEpisodes
    let file: DatasetFile
}

/// Image-dataset pieces of a run: one dataset, or several for l2b's multi-dataset training.
struct ImageSetup {
    /// One training sampler per dataset, in --dataset order.
    let trainSamplers: [EpisodeSampler]
    /// Validation episodes per dataset, in the same order; empty when a dataset has no validation split.
    let validation: [ValidationSet]
    /// Datasets without a validation split (validation is then off).
    let missingValidation: [String]
    let model: ConvNet4

    init(_ config: TrainConfig, validationSeed: UInt64) throws {
        guard let way = config.way, !config.imageDatasets.isEmpty else { preconditionFailure("ImageSetup: not an image run") }
        let episodeConfig = Self.episodeConfig(config, shot: config.shot, query: config.query)
        var samplers: [EpisodeSampler] = [], validation: [ValidationSet] = [], missing: [String] = []
        var trainFile: DatasetFile?
        for splits in config.imageDatasets {
            let file = try DatasetChoice.open(splits.train)
            trainFile = trainFile ?? file
            samplers.append(try DatasetChoice.sampler(file, episodeConfig, split: "training"))
            guard let path = splits.validation else { missing.append(splits.train); continue }
            let validationFile = try DatasetChoice.open(path)
            // Every dataset's episodes come from the same validation seed.
            validation.append(ValidationSet(
                episodes: FixedEpisodes(count: config.validationEpisodes,
                                        sampler: try DatasetChoice.sampler(validationFile, episodeConfig, split: "validation"),
                                        seed: validationSeed),
                file: validationFile))
        }
        trainSamplers = samplers
        self.validation = missing.isEmpty ? validation : []
        missingValidation = missing
        let first = trainFile!
        model = Self.model(config, imageSize: first.height, channels: first.channels, way: way)
        guard model.spatialSize(afterBlock: 4) >= 1 else {
            throw UsageError("\(first.height)×\(first.width) images are too small for --model "
                + "\(kebabCase(config.model.rawValue)): four blocks shrink them to nothing. Use --model conv4-stride2, or "
                + "convert the images at a larger --size (at least 16 for conv4-max-pool).")
        }
    }

    /// The training-task stream: l2b's round robin over the datasets (one dataset: plain sampling).
    func taskSource(randomState: UInt64, usage: DatasetUsage) throws -> RoundRobinTaskSource {
        RoundRobinTaskSource(sampler: try RoundRobinSampler(samplers: trainSamplers), randomState: randomState,
                             nextIteration: 1, usage: usage)
    }

    /// Saves the validation episodes: validation-episodes.json (one dataset) or
    /// validation-episodes-<k>.json for dataset k of several.
    func saveValidationEpisodes(in run: RunDirectory) throws {
        for (index, set) in validation.enumerated() {
            try set.episodes.save(to: run.file(validation.count == 1 ? "validation-episodes.json"
                                                   : "validation-episodes-\(index).json"))
        }
    }

    static func episodeConfig(_ config: TrainConfig, shot: Int, query: Int) -> EpisodeConfig {
        if let taml = config.taml, taml.anyShot { return .anyShot(way: config.way ?? 1, maxShot: taml.maxShot, queries: query) }
        return .nWayKShot(way: config.way ?? 1, shot: shot, queries: query, rotations: config.rotations)
    }

    static func model(_ config: TrainConfig, imageSize: Int, channels: Int, way: Int) -> ConvNet4 {
        let stride2 = config.model == .conv4Stride2
        return ConvNet4(imageSize: imageSize, inputChannels: channels, filters: config.filters, way: way,
                        downsampling: stride2 ? .stride2 : .maxPool, head: stride2 ? .spatialMean : .flatten)
    }
}

extension FixedEpisodes {
    /// Episode `index` as a task (the file was validated when the episodes were made or loaded).
    func task(_ index: Int, from file: DatasetFile) -> FewShotTask {
        FewShotTask(try! episode(index, from: file))
    }
}

/// Checks that a checkpoint belongs to this configuration (same network, method, parameter shapes).
func checkCompatible(_ checkpoint: Checkpoint, with config: TrainConfig, fresh: Parameters, path: String) throws {
    let savedModel = checkpoint.metadata["model"] ?? "?", savedMethod = checkpoint.metadata["method"] ?? "?"
    guard savedModel == config.modelDescription, savedMethod == config.method.rawValue else {
        throw CheckpointError.incompatible(path: path, reason: "it holds a \(savedMethod) \(savedModel), but this run is "
            + "\(config.method.rawValue) \(config.modelDescription)")
    }
    let state = checkpoint.state
    guard state.parameters.names == fresh.names, state.parameters.tensors.map(\.shape) == fresh.tensors.map(\.shape),
          (state.stepSizes != nil) == config.method.learnsStepSizes else {
        throw CheckpointError.incompatible(path: path, reason: "its parameter names or shapes differ from this network's")
    }
}

/// Metadata stored in every checkpoint of a run.
func checkpointMetadata(_ config: TrainConfig) -> [String: String] {
    ["model": config.modelDescription, "method": config.method.rawValue, "dataset": config.dataset,
     "batchNorm": kebabCase(config.batchNorm.rawValue), "lossReduction": kebabCase(config.lossReduction.rawValue)]
}
