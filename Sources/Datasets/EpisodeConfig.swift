// What kind of episodes to sample: ways, shots (fixed K, or L2B's any-shot with a class/task
// imbalance coin), queries per class, and MAML's k·90° rotation augmentation.

/// Episode shape parameters.
public struct EpisodeConfig: Codable, Sendable, Equatable {
    /// N: a fixed number of classes, or a uniform draw from a range per episode.
    public enum Ways: Codable, Sendable, Equatable {
        case fixed(Int)
        case varying(ClosedRange<Int>)

        var range: ClosedRange<Int> {
            switch self {
            case .fixed(let way): return way...way
            case .varying(let range): return range
            }
        }
    }

    /// K: support images per class.
    public enum Shots: Codable, Sendable, Equatable {
        /// K for every class (MAML). Every class needs at least K + Q instances.
        case fixed(Int)
        /// L2B any-shot (`data.py`, mode 1): a fair coin picks class imbalance (each class draws
        /// its own shot from 1...maxShot) or task imbalance (one draw shared by all classes).
        /// A class with fewer than shot + Q instances gets shot = n_c − Q.
        case anyShot(maxShot: Int)
    }

    public var ways: Ways
    public var shots: Shots
    /// Q: query images per class (the query set is always balanced).
    public var queriesPerClass: Int
    /// Rotate all images of each class by a random k·90° (MAML's Omniglot augmentation).
    public var rotationAugmentation: Bool

    public init(ways: Ways, shots: Shots, queriesPerClass: Int, rotationAugmentation: Bool = false) {
        self.ways = ways
        self.shots = shots
        self.queriesPerClass = queriesPerClass
        self.rotationAugmentation = rotationAugmentation
    }

    /// N-way K-shot with Q queries per class.
    public static func nWayKShot(way: Int, shot: Int, queries: Int, rotations: Bool = false) -> EpisodeConfig {
        EpisodeConfig(ways: .fixed(way), shots: .fixed(shot), queriesPerClass: queries, rotationAugmentation: rotations)
    }

    /// L2B's any-shot episodes (defaults there: way 5, maxShot 50, queries 15).
    public static func anyShot(way: Int, maxShot: Int, queries: Int) -> EpisodeConfig {
        EpisodeConfig(ways: .fixed(way), shots: .anyShot(maxShot: maxShot), queriesPerClass: queries)
    }

    /// The fewest instances a class must have for this configuration.
    public var minimumInstancesPerClass: Int {
        switch shots {
        case .fixed(let shot): return shot + queriesPerClass
        case .anyShot: return queriesPerClass + 1
        }
    }
}
