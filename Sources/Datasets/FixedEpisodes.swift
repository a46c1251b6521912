// Fixed evaluation episodes: generated once from a seed, saved as JSON, replayed on the same
// dataset file so every method is compared on exactly the same episodes.

import Foundation
import Randomness

/// A saved list of episode recipes (600 for MAML-style, 1000 for L2B-style evaluation).
///
/// Only indices are stored, not pixels; replaying checks that the dataset file is the one the
/// episodes were generated from (same payload CRC-32 and instance counts).
public struct FixedEpisodes: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// The SplitMix64 seed the episodes were drawn with.
    public var seed: UInt64
    public var config: EpisodeConfig
    /// The dataset file's description, payload CRC-32 and per-class counts at generation time.
    public var datasetDescription: String
    public var datasetChecksum: UInt32
    public var datasetInstanceCounts: [Int]
    public var episodes: [EpisodeSpec]

    /// Draws `count` episode recipes with `SplitMix64(seed: seed)`.
    public init(count: Int, sampler: EpisodeSampler, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        formatVersion = Self.currentFormatVersion
        self.seed = seed
        config = sampler.config
        datasetDescription = sampler.dataset.description
        datasetChecksum = sampler.dataset.header.payloadChecksum
        datasetInstanceCounts = sampler.dataset.instanceCounts
        episodes = (0..<count).map { _ in sampler.sampleSpec(using: &generator) }
    }

    public var count: Int { episodes.count }

    /// Rebuilds episode `index` from `dataset`.
    ///
    /// - Throws: `DatasetError.invalidRequest` if `dataset` is not the file the episodes came from.
    public func episode(_ index: Int, from dataset: DatasetFile) throws -> Episode {
        guard dataset.header.payloadChecksum == datasetChecksum, dataset.instanceCounts == datasetInstanceCounts else {
            throw DatasetError.invalidRequest(
                "These fixed episodes were generated from a dataset with payload CRC-32 "
                    + String(format: "%08x", datasetChecksum) + " (\(datasetInstanceCounts.count) classes), but "
                    + "\(dataset.path) has " + String(format: "%08x", dataset.header.payloadChecksum)
                    + " (\(dataset.classCount) classes). Use the original dataset file, or regenerate the episodes "
                    + "from this one with the same seed.")
        }
        guard index >= 0 && index < episodes.count else {
            throw DatasetError.invalidRequest("Fixed episodes: index \(index) is outside 0..<\(episodes.count).")
        }
        return try dataset.makeEpisode(episodes[index])
    }

    /// Writes the episodes as JSON (sorted keys, so equal episodes give equal files).
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw DatasetError.unreadable(path: url.path, reason: "cannot write fixed episodes: \(error.localizedDescription)")
        }
    }

    /// Reads episodes saved by `save(to:)`.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.invalidRequest(
                "No fixed-episode file at \(url.path). Generate it once with `FixedEpisodes(count:sampler:seed:)` "
                    + "and `save(to:)` (the metalearn CLI does this for evaluation).")
        }
        let decoded: FixedEpisodes
        do {
            decoded = try JSONDecoder().decode(FixedEpisodes.self, from: Data(contentsOf: url))
        } catch {
            throw DatasetError.invalidRequest(
                "\(url.path) is not a readable fixed-episode file (\(error)). Delete it and generate it again.")
        }
        guard decoded.formatVersion == Self.currentFormatVersion else {
            throw DatasetError.invalidRequest(
                "\(url.path) has fixed-episode format \(decoded.formatVersion); this build reads "
                    + "\(Self.currentFormatVersion). Generate the episodes again with this build.")
        }
        self = decoded
    }
}
