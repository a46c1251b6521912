// Building an Episode from its EpisodeSpec: copies the chosen images out of the memory-mapped
// dataset as floats in [0, 1], rotating each class by its quarter turns.

extension DatasetFile {
    /// Materializes `spec`: support then query rows, class by class, labels 0..<way.
    ///
    /// - Throws: `DatasetError.invalidRequest` if the spec names classes or instances this file
    ///   does not have (e.g. saved episodes replayed on a different dataset file).
    public func makeEpisode(_ spec: EpisodeSpec) throws -> Episode {
        let way = spec.way
        guard spec.rotations.count == way, spec.supportInstances.count == way, spec.queryInstances.count == way else {
            throw DatasetError.invalidRequest(
                "Episode spec: \(way) classes but \(spec.rotations.count) rotations, \(spec.supportInstances.count) "
                    + "support lists and \(spec.queryInstances.count) query lists.")
        }
        for label in 0..<way {
            let datasetClass = spec.classes[label]
            guard datasetClass >= 0 && datasetClass < classCount else {
                throw DatasetError.invalidRequest(
                    "Episode spec: class \(datasetClass) does not exist in \(path) (\(classCount) classes). "
                        + "The episodes were made for another dataset file: regenerate them from this one.")
            }
            let available = instanceCounts[datasetClass]
            for instance in spec.supportInstances[label] + spec.queryInstances[label]
            where instance < 0 || instance >= available {
                throw DatasetError.invalidRequest(
                    "Episode spec: instance \(instance) of class \(datasetClass) does not exist in \(path) "
                        + "(\(available) instances). The episodes were made for another dataset file: regenerate them.")
            }
            if spec.rotations[label] % 2 != 0 && height != width {
                throw DatasetError.invalidRequest("Episode spec: odd quarter turns need square images (\(height)×\(width)).")
            }
        }
        let (support, supportLabels) = gather(spec.supportInstances, spec)
        let (query, queryLabels) = gather(spec.queryInstances, spec)
        return Episode(way: way, height: height, width: width, channels: channels,
                       supportImages: support, supportLabels: supportLabels,
                       supportCounts: spec.supportInstances.map(\.count),
                       queryImages: query, queryLabels: queryLabels,
                       queryCounts: spec.queryInstances.map(\.count), spec: spec)
    }

    private func gather(_ instances: [[Int]], _ spec: EpisodeSpec) -> ([Float], [Int32]) {
        let rows = instances.reduce(0) { $0 + $1.count }
        let size = imageByteCount
        var labels = [Int32]()
        labels.reserveCapacity(rows)
        let images = [Float](unsafeUninitializedCapacity: rows * size) { buffer, initialized in
            var row = 0
            for (label, list) in instances.enumerated() {
                for instance in list {
                    copyImage(ofClass: spec.classes[label], instance: instance, rotation: spec.rotations[label],
                              into: buffer.baseAddress! + row * size)
                    labels.append(Int32(label))
                    row += 1
                }
            }
            initialized = rows * size
        }
        return (images, labels)
    }
}
