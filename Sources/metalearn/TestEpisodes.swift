// Fixed test episodes for `metalearn test`: drawn once from a seed, saved in the run directory and
// replayed on later calls (or loaded from --episodes-file), so methods meet the same episodes.

import Datasets
import Foundation
import MetaLearning

extension TestCommand {
    /// The episodes to evaluate on and the file they are saved in.
    /// - Parameter label: names the saved file (default: the split), e.g. "test-aircraft" for one
    ///   dataset of a multi-dataset run.
    static func fixedEpisodes(_ flags: ArgumentList, config: TrainConfig, file: DatasetFile, split: String,
                              label: String? = nil, run: RunDirectory, count: Int,
                              seed: UInt64) throws -> (episodes: FixedEpisodes, path: String) {
        if let path = flags.string("episodes-file") {
            let episodes = try FixedEpisodes(contentsOf: URL(fileURLWithPath: path))
            try check(episodes, config: config, path: path)
            // Every recipe must fit this dataset file (same checksum, existing classes and instances).
            for index in 0..<episodes.count {
                do { _ = try episodes.episode(index, from: file) } catch let error as DatasetError {
                    throw UsageError("\(path) cannot be replayed on \(file.path): \(error.description)")
                }
            }
            return (episodes, path)
        }
        let shot = try flags.integer("shot", in: 1...100_000) ?? config.shot
        let query = try flags.integer("query", in: 1...100_000) ?? config.query
        let episodeConfig = ImageSetup.episodeConfig(config, shot: shot, query: query)
        let shots = config.taml.map { $0.anyShot ? "1-\($0.maxShot)" : "\(shot)" } ?? "\(shot)"
        let name = "\((label ?? split).replacingOccurrences(of: " ", with: "-"))-\(config.way ?? 0)w\(shots)s\(query)q"
            + "-seed\(seed)-n\(count).json"
        let directory = run.file("test-episodes")
        let url = directory.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: url.path) {
            let episodes = try FixedEpisodes(contentsOf: url)
            if episodes.config == episodeConfig && episodes.seed == seed && episodes.count == count
                && episodes.datasetChecksum == file.header.payloadChecksum {
                return (episodes, url.path)
            }
        }
        let episodes = FixedEpisodes(count: count, sampler: try DatasetChoice.sampler(file, episodeConfig, split: split),
                                     seed: seed)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try episodes.save(to: url)
        return (episodes, url.path)
    }

    /// Saved episodes must have the run's way (the network has one output per class).
    static func check(_ episodes: FixedEpisodes, config: TrainConfig, path: String) throws {
        guard case .fixed(let way) = episodes.config.ways, way == config.way else {
            throw UsageError("\(path) holds episodes with \(episodes.config.ways) classes, but this network is "
                + "\(config.way ?? 0)-way. Use episodes made for it.")
        }
    }

    /// Image size and channels must match the training data.
    static func checkImageShape(_ file: DatasetFile, config: TrainConfig) throws {
        guard let trainPath = config.splits?.train,
              let train = try? DatasetFile(contentsOf: URL(fileURLWithPath: trainPath), verifyChecksum: false) else { return }
        guard (train.height, train.width, train.channels) == (file.height, file.width, file.channels) else {
            throw UsageError("\(file.path) has \(file.height)×\(file.width)×\(file.channels) images, but the network was "
                + "trained on \(train.height)×\(train.width)×\(train.channels) (\(trainPath)). Convert it to that size.")
        }
    }
}
