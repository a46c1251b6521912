// Multi-dataset meta-training as in L2B (`main.py`): iteration i takes its whole meta-batch
// from dataset i mod D. Each dataset keeps its own episode configuration.

/// Cycles over several samplers, one dataset per iteration.
public struct RoundRobinSampler: Sendable {
    public let samplers: [EpisodeSampler]

    public init(samplers: [EpisodeSampler]) throws {
        guard !samplers.isEmpty else {
            throw DatasetError.invalidRequest("RoundRobinSampler: give at least one dataset.")
        }
        self.samplers = samplers
    }

    /// The dataset used at `iteration` (0-based): `iteration mod D`.
    public func datasetIndex(forIteration iteration: Int) -> Int {
        ((iteration % samplers.count) + samplers.count) % samplers.count
    }

    /// The meta-batch of `iteration`: `size` episodes, all from one dataset.
    public func metaBatch(iteration: Int, size: Int,
                          using generator: inout some RandomNumberGenerator) -> (datasetIndex: Int, episodes: [Episode]) {
        let index = datasetIndex(forIteration: iteration)
        return (index, samplers[index].sampleBatch(size, using: &generator))
    }
}
