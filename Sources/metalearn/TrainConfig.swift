// Every setting of a training run, with per-dataset defaults (cbfinn/maml, MAML-tf, l2b), built
// from the flags of `metalearn train`. Saved as config.json; `--resume` reloads it.

import Foundation
import MetaLearning
import NN

/// The network trained.
enum ModelKind: String, Codable, CaseIterable {
    /// 1 → 40 → 40 → 1 ReLU (sinusoid).
    case mlp
    /// The same with batch norm after each hidden layer (cbfinn's default `--norm batch_norm`).
    case mlpBatchNorm
    /// 4 × [conv3×3 stride 2, batch norm, ReLU], spatial mean, dense (cbfinn Omniglot).
    case conv4Stride2
    /// 4 × [conv3×3, batch norm, ReLU, max-pool 2×2], flatten, dense (MAML miniImageNet, l2b).
    case conv4MaxPool

    /// The sinusoid regressors.
    var isMLP: Bool { self == .mlp || self == .mlpBatchNorm }
}

struct TrainConfig: Codable, Equatable {
    var method: MetaMethod
    /// "sinusoid", the training file, or the training files joined by commas (multi-dataset).
    var dataset: String
    var profile: DatasetProfile
    /// The files of the (first) image dataset.
    var splits: DatasetSplits?
    /// Multi-dataset training (l2b): every dataset in --dataset order, at least two; nil otherwise.
    var datasets: [DatasetSplits]? = nil
    /// N (nil for sinusoids).
    var way: Int?
    var shot: Int
    var query: Int
    var innerSteps: Int
    var testInnerSteps: Int
    var innerLearningRate: Float
    var metaLearningRate: Float
    var metaBatchSize: Int
    var iterations: Int
    var clip: Float?
    var batchNorm: BatchNormPolicy
    var lossReduction: LossReduction
    var rotations: Bool
    var model: ModelKind
    var filters: Int
    var seed: UInt64
    var runDirectory: String
    var validationInterval: Int
    var validationEpisodes: Int
    var checkpointInterval: Int
    var logInterval: Int
    /// Bayesian TAML settings (--method taml only).
    var taml: TAMLSettings? = nil
    /// --primal-replay (nil: on). Changes memory and speed, never results.
    var primalReplay: Bool? = nil

    /// The defaults for a dataset (paper settings; see `metalearn train --help`).
    static func defaults(profile: DatasetProfile, way: Int) -> TrainConfig {
        var config = TrainConfig(
            method: .maml, dataset: "sinusoid", profile: profile, splits: nil, way: nil, shot: 10, query: 10,
            innerSteps: 1, testInnerSteps: 10, innerLearningRate: 0.01, metaLearningRate: 1e-3, metaBatchSize: 25,
            iterations: 70_000, clip: nil, batchNorm: .transductive, lossReduction: .mean, rotations: false,
            model: .mlp, filters: 40, seed: 1, runDirectory: "", validationInterval: 0, validationEpisodes: 100,
            checkpointInterval: 500, logInterval: 0)
        switch profile {
        case .sinusoid: break
        case .omniglot:  // cbfinn/maml, paper Appendix A.1: 5-way α 0.4, 1 step, batch 32; 20-way α 0.1, 5 steps, batch 16
            config.way = way
            config.shot = 1
            config.query = 1  // cbfinn: K queries per class (DataGenerator(update_batch_size * 2))
            config.innerSteps = way >= 20 ? 5 : 1
            config.innerLearningRate = way >= 20 ? 0.1 : 0.4
            config.metaBatchSize = way >= 20 ? 16 : 32
            config.iterations = 60_000
            config.lossReduction = .sumOverShots
            config.rotations = true
            config.model = .conv4Stride2
            config.filters = 64
        case .images:  // MAML miniImageNet: 5 steps α 0.01, batch 4, 15 queries, clip ±10, 32 filters with max-pool
            config.way = way
            config.shot = 1
            config.query = 15
            config.innerSteps = 5
            config.metaBatchSize = 4
            config.iterations = 60_000
            config.clip = 10
            config.lossReduction = .sumOverShots
            config.model = .conv4MaxPool
            config.filters = 32
        }
        return config
    }

    /// Fills the settings that depend on others (intervals, run directory) when not given.
    mutating func completeDerivedDefaults(given flags: ArgumentList) {
        if !flags.has("validation-interval") { validationInterval = max(1, iterations / 20) }
        if !flags.has("log-interval") { logInterval = max(1, iterations / 500) }
        if !flags.has("checkpoint-interval") { checkpointInterval = min(checkpointInterval, max(1, iterations)) }
        if !flags.has("run-dir") { runDirectory = "runs/" + runName }
    }

    /// The image datasets trained on: one, or the multi-dataset list.
    var imageDatasets: [DatasetSplits] { datasets ?? splits.map { [$0] } ?? [] }

    /// e.g. "omniglot-maml-maml-5w1s-seed1", "sinusoid-maml-10shot-seed1", for any-shot TAML
    /// "omniglot-maml-taml-5w1-50s-seed1" or, for several datasets, "aircraft+quickdraw+vgg_flower-taml-10w1s-seed1".
    var runName: String {
        let data = profile == .sinusoid ? "sinusoid"
            : imageDatasets.map { DatasetChoice.shortName($0.train) }.joined(separator: "+")
        let shots = taml.map { $0.anyShot ? "1-\($0.maxShot)" : "\(shot)" } ?? "\(shot)"
        let shape = way.map { "\($0)w\(shots)s" } ?? "\(shot)shot"
        return "\(data)-\(method.rawValue)-\(shape)-seed\(seed)"
    }

    /// A one-line description of the network, stored in checkpoints and checked when loading.
    var modelDescription: String {
        switch model {
        case .mlp: return "mlp 1-40-40-1"
        case .mlpBatchNorm: return "mlp 1-40-40-1, batch-norm \(kebabCase(batchNorm.rawValue))"
        case .conv4Stride2, .conv4MaxPool:
            return "\(kebabCase(model.rawValue)) \(filters) filters, \(way ?? 0)-way, batch-norm \(kebabCase(batchNorm.rawValue))"
        }
    }

    /// Settings that must not change when a run is resumed, as (flag, value) pairs.
    var fixedSettings: [(flag: String, value: String)] {
        [("method", method.rawValue), ("dataset", dataset), ("way", way.map(String.init) ?? "-"), ("shot", "\(shot)"),
         ("query", "\(query)"), ("inner-steps", "\(innerSteps)"), ("inner-lr", "\(innerLearningRate)"),
         ("meta-lr", "\(metaLearningRate)"), ("meta-batch", "\(metaBatchSize)"), ("clip", clip.map { "\($0)" } ?? "none"),
         ("batch-norm", kebabCase(batchNorm.rawValue)), ("loss-reduction", kebabCase(lossReduction.rawValue)),
         ("rotations", rotations ? "on" : "off"), ("model", kebabCase(model.rawValue)), ("filters", "\(filters)"),
         ("seed", "\(seed)"), ("taml", taml?.summary ?? "-")]
    }

    /// The learner this configuration trains.
    /// The sinusoid regressor this config describes.
    var sinusoidModel: MLP { MLP(batchNorm: model == .mlpBatchNorm) }

    func learner<Model: FewShotModel>(_ model: Model) -> MetaLearner<Model> {
        var learner = MetaLearner(model: model, method: method, innerSteps: innerSteps,
                                  innerLearningRate: innerLearningRate, reduction: lossReduction, batchNormPolicy: batchNorm)
        learner.replaysPrimals = primalReplay ?? true
        return learner
    }
}
