// Turns the Datasets module's episodes into MetaLearning's tasks (tensors). The only place where
// the two modules meet, so MetaLearning never imports Datasets.

import Autodiff
import Datasets
import MetaLearning

extension FewShotTask {
    /// An image episode: support `[n, H, W, C]` with labels 0..<way, query likewise.
    init(_ episode: Episode) {
        self.init(supportInputs: Tensor(shape: episode.supportShape, scalars: episode.supportImages),
                  supportTargets: .classes(episode.supportLabels, way: episode.way),
                  queryInputs: Tensor(shape: episode.queryShape, scalars: episode.queryImages),
                  queryTargets: .classes(episode.queryLabels, way: episode.way))
    }

    /// A sinusoid episode: inputs and targets `[count, 1]`.
    init(_ episode: SinusoidEpisode) {
        func column(_ values: [Float]) -> Tensor { Tensor(shape: [values.count, 1], scalars: values) }
        self.init(supportInputs: column(episode.supportInputs), supportTargets: .values(column(episode.supportTargets)),
                  queryInputs: column(episode.queryInputs), queryTargets: .values(column(episode.queryTargets)))
    }
}

/// Training tasks from a dataset file: a seeded `EpisodeSampler` stream.
struct EpisodeTaskSource: TaskSource {
    let sampler: EpisodeSampler
    var randomState: UInt64

    mutating func nextMetaBatch(_ count: Int) -> [FewShotTask] {
        var generator = SplitMix64(state: randomState)
        let episodes = sampler.sampleBatch(count, using: &generator)
        randomState = generator.state
        return episodes.map(FewShotTask.init)
    }
}

/// Training tasks from MAML's sinusoid distribution: K support and Q query points per task.
struct SinusoidTaskSource: TaskSource {
    var tasks = SinusoidTasks()
    let shots: Int
    let queries: Int
    var randomState: UInt64

    mutating func nextMetaBatch(_ count: Int) -> [FewShotTask] {
        var generator = SplitMix64(state: randomState)
        let episodes = (0..<count).map { _ in tasks.sampleEpisode(shots: shots, queries: queries, using: &generator) }
        randomState = generator.state
        return episodes.map(FewShotTask.init)
    }

    /// `count` fixed tasks drawn from `seed` (the same seed gives the same tasks).
    static func fixedEpisodes(count: Int, shots: Int, queries: Int, seed: UInt64) -> [SinusoidEpisode] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in SinusoidTasks().sampleEpisode(shots: shots, queries: queries, using: &generator) }
    }
}
