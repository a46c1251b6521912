// Episode sampling cost (Datasets.EpisodeSampler), to compare with a meta-step's forward and
// backward passes. Synthetic in-memory dataset files of the real shapes:
//
//   omniglot-5w1s     28×28×1, 1100 classes × 20, 5-way 1-shot 15 queries, k·90° rotations
//   omniglot-20w5s    28×28×1, 1100 classes × 20, 20-way 5-shot 15 queries, rotations
//   cifar-anyshot     32×32×3, 64 classes × 100, L2B any-shot: 5-way, shots 1…50, 15 queries
//   mini-5w5s         84×84×3, 20 classes × 40, 5-way 5-shot 15 queries
//
// Each case first checks that two samplers with the same seed draw the same episode and that the
// episode's row counts add up, then times the drawing of one episode (median over runs).

import Datasets
import Foundation
import Randomness

let samplerBenchmark = Benchmark(
    name: "sampler", summary: "episode sampling: Omniglot 5w1s/20w5s, L2B any-shot 32×32×3, miniImageNet 5w5s"
) {
    let omniglot = try syntheticDataset(classes: 1100, perClass: 20, side: 28, channels: 1)
    let cifar = try syntheticDataset(classes: 64, perClass: 100, side: 32, channels: 3)
    let mini = try syntheticDataset(classes: 20, perClass: 40, side: 84, channels: 3)
    let cases: [(String, DatasetFile, EpisodeConfig)] = [
        ("omniglot-5w1s", omniglot, .nWayKShot(way: 5, shot: 1, queries: 15, rotations: true)),
        ("omniglot-20w5s", omniglot, .nWayKShot(way: 20, shot: 5, queries: 15, rotations: true)),
        ("cifar-anyshot", cifar, .anyShot(way: 5, maxShot: 50, queries: 15)),
        ("mini-5w5s", mini, .nWayKShot(way: 5, shot: 5, queries: 15)),
    ]
    return try cases.map { name, dataset, config in
        let sampler = try EpisodeSampler(dataset: dataset, config: config)
        var first = SplitMix64(seed: 7), second = SplitMix64(seed: 7)
        let episode = sampler.sample(using: &first)
        guard episode == sampler.sample(using: &second) else {
            throw BenchmarkFailure(description: "sampler \(name): the same seed gave different episodes")
        }
        let pixels = dataset.height * dataset.width * dataset.channels
        guard episode.supportImages.count == episode.supportCounts.reduce(0, +) * pixels,
              episode.queryImages.count == episode.queryCounts.reduce(0, +) * pixels else {
            throw BenchmarkFailure(description: "sampler \(name): image rows do not match the per-class counts")
        }
        var generator = SplitMix64(seed: 1)
        var images = 0, episodes = 0
        let timings = measure(minimumRuns: 50) {
            let drawn = sampler.sample(using: &generator)
            images += drawn.supportCount + drawn.queryCount
            episodes += 1
            blackHole(drawn)
        }
        var result = BenchmarkResult(benchmark: "sampler")
        result.add("case", .string(name))
        result.add("image", .string("\(dataset.height)x\(dataset.width)x\(dataset.channels)"))
        result.add("images_per_episode", .number(Double(images) / Double(max(episodes, 1))))
        result.add(timings)
        return result
    }
}

/// An in-memory dataset file of `classes × perClass` images with deterministic pixels.
func syntheticDataset(classes: Int, perClass: Int, side: Int, channels: Int) throws -> DatasetFile {
    var writer = DatasetWriter(height: side, width: side, channels: channels, description: "benchmark")
    let bytes = perClass * side * side * channels
    for c in 0..<classes {
        try writer.addClass(name: "c\(c)", pixels: (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ c) })
    }
    return try DatasetFile(data: writer.encoded(), name: "benchmark-\(side)x\(side)x\(channels)")
}
