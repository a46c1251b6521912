// Seeded episode sampler over one dataset file: N-way K-shot, L2B any-shot, varying ways,
// MAML rotations. The order of random draws is fixed (see `sampleSpec`), so a seed fixes the episodes.

/// Samples episodes from a dataset file. Validates the configuration once, at creation.
public struct EpisodeSampler: Sendable {
    public let dataset: DatasetFile
    public let config: EpisodeConfig

    /// - Throws: `DatasetError.invalidRequest` if the dataset cannot supply such episodes.
    public init(dataset: DatasetFile, config: EpisodeConfig) throws {
        let ways = config.ways.range
        let name = dataset.path
        guard ways.lowerBound >= 1 else {
            throw DatasetError.invalidRequest("EpisodeSampler: the way must be at least 1 (got \(ways)).")
        }
        guard ways.upperBound <= dataset.classCount else {
            throw DatasetError.invalidRequest(
                "EpisodeSampler: \(ways.upperBound)-way episodes need \(ways.upperBound) classes, but \(name) has "
                    + "\(dataset.classCount). Lower the way, or use a split with more classes.")
        }
        switch config.shots {
        case .fixed(let shot) where shot < 1, .anyShot(let shot) where shot < 1:
            throw DatasetError.invalidRequest("EpisodeSampler: the shot must be at least 1 (got \(shot)).")
        default: break
        }
        guard config.queriesPerClass >= 0 else {
            throw DatasetError.invalidRequest("EpisodeSampler: queries per class must be ≥ 0 (got \(config.queriesPerClass)).")
        }
        let needed = config.minimumInstancesPerClass
        if let small = dataset.instanceCounts.firstIndex(where: { $0 < needed }) {
            throw DatasetError.invalidRequest(
                "EpisodeSampler: class \(small) (\"\(dataset.classNames[small])\") of \(name) has "
                    + "\(dataset.instanceCounts[small]) images, but this configuration needs at least \(needed) per class "
                    + "(shots + \(config.queriesPerClass) queries). Lower the shot or the queries.")
        }
        if config.rotationAugmentation && dataset.height != dataset.width {
            throw DatasetError.invalidRequest(
                "EpisodeSampler: rotation augmentation needs square images; \(name) has \(dataset.height)×\(dataset.width).")
        }
        self.dataset = dataset
        self.config = config
    }

    /// Draws the recipe of one episode. Draw order: way (only if it varies); the classes
    /// (distinct, in label order); the coin and shots (any-shot only); one rotation per label
    /// (augmentation only); then per label its `shot + Q` distinct instances, support first.
    public func sampleSpec(using generator: inout some RandomNumberGenerator) -> EpisodeSpec {
        let ways = config.ways.range
        let way = ways.count == 1 ? ways.lowerBound : RandomDraws.integer(in: ways, using: &generator)
        let classes = RandomDraws.distinct(way, from: dataset.classCount, using: &generator)
        var shots: [Int]
        switch config.shots {
        case .fixed(let shot):
            shots = Array(repeating: shot, count: way)
        case .anyShot(let maxShot):
            // l2b data.py: `if coin_toss > 0.5` → class imbalance, else task imbalance.
            if RandomDraws.unit(using: &generator) > 0.5 {
                shots = (0..<way).map { _ in RandomDraws.integer(in: 1...maxShot, using: &generator) }
            } else {
                shots = Array(repeating: RandomDraws.integer(in: 1...maxShot, using: &generator), count: way)
            }
        }
        let rotations = config.rotationAugmentation
            ? (0..<way).map { _ in RandomDraws.index(below: 4, using: &generator) }
            : Array(repeating: 0, count: way)
        let queries = config.queriesPerClass
        var support = [[Int]](), query = [[Int]]()
        for (label, datasetClass) in classes.enumerated() {
            let available = dataset.instanceCounts[datasetClass]
            shots[label] = min(shots[label], available - queries)  // l2b: shot = N_c − query when short
            let drawn = RandomDraws.distinct(shots[label] + queries, from: available, using: &generator)
            support.append(Array(drawn.prefix(shots[label])))
            query.append(Array(drawn.dropFirst(shots[label])))
        }
        return EpisodeSpec(classes: classes, rotations: rotations, supportInstances: support, queryInstances: query)
    }

    /// Draws and materializes one episode.
    public func sample(using generator: inout some RandomNumberGenerator) -> Episode {
        // A spec drawn by this sampler always fits its dataset.
        try! dataset.makeEpisode(sampleSpec(using: &generator))
    }

    /// A meta-batch of `count` episodes.
    public func sampleBatch(_ count: Int, using generator: inout some RandomNumberGenerator) -> [Episode] {
        (0..<count).map { _ in sample(using: &generator) }
    }
}
