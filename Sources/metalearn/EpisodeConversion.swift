// Turns the Datasets module's episodes into MetaLearning's tasks (tensors). The only place where
// the two modules meet, so MetaLearning never imports Datasets.

import Autodiff
import Datasets
import MetaLearning
import Randomness

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

/// A training-task stream that a resumed run positions at its checkpoint's iteration.
protocol ResumableTaskSource: TaskSource {
    /// Continue after `iteration` completed meta-iterations (the random state is set by the trainer).
    mutating func resume(afterIteration iteration: Int)
}

/// Which dataset each meta-batch came from, as the task source draws them (shared with the
/// per-dataset log, which cannot see inside the training loop's copy of the source).
final class DatasetUsage {
    /// (iteration, dataset index) of the last meta-batch drawn.
    private(set) var last: (iteration: Int, dataset: Int)?

    func record(iteration: Int, dataset: Int) { last = (iteration, dataset) }
}

/// Training tasks from one or more dataset files, l2b's round robin (`main.py`): the meta-batch of
/// iteration i (1-based, as numbered in the log) comes whole from dataset i mod D. With one
/// dataset this is plain seeded sampling. The stream's position is `randomState` and the
/// iteration, both stored in every checkpoint, so a resumed run draws the very same batches.
struct RoundRobinTaskSource: TaskSource {
    let sampler: RoundRobinSampler
    var randomState: UInt64
    /// The iteration whose meta-batch is drawn next (1-based); set from the checkpoint on resume.
    var nextIteration: Int
    let usage: DatasetUsage

    mutating func nextMetaBatch(_ count: Int) -> [FewShotTask] {
        var generator = SplitMix64(state: randomState)
        let batch = sampler.metaBatch(iteration: nextIteration, size: count, using: &generator)
        randomState = generator.state
        usage.record(iteration: nextIteration, dataset: batch.datasetIndex)
        nextIteration += 1
        return batch.episodes.map(FewShotTask.init)
    }
}

extension RoundRobinTaskSource: ResumableTaskSource {
    mutating func resume(afterIteration iteration: Int) { nextIteration = iteration + 1 }
}

extension SinusoidTaskSource: ResumableTaskSource {
    /// The sinusoid stream's whole position is its random state.
    mutating func resume(afterIteration iteration: Int) {}
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
