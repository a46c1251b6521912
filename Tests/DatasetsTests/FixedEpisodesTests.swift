// Fixed evaluation episodes (save, load, replay, dataset mismatch) and sinusoid tasks.

import Foundation
import Randomness
import Testing
@testable import Datasets

@Suite struct FixedEpisodesTests {
    @Test func savedEpisodesReplayExactly() throws {
        let dataset = try fixtureDataset(counts: Array(repeating: 25, count: 8), height: 2, width: 2)
        let sampler = try EpisodeSampler(dataset: dataset, config: .anyShot(way: 5, maxShot: 9, queries: 3))
        let fixed = FixedEpisodes(count: 600, sampler: sampler, seed: 2024)
        #expect(fixed.count == 600)
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("episodes.json")
        try fixed.save(to: url)
        let loaded = try FixedEpisodes(contentsOf: url)
        #expect(loaded == fixed)
        // The same seed regenerates byte-identical files.
        let again = folder.appendingPathComponent("again.json")
        try FixedEpisodes(count: 600, sampler: sampler, seed: 2024).save(to: again)
        #expect(try Data(contentsOf: url) == Data(contentsOf: again))
        // Replay equals sampling with the same generator.
        var generator = SplitMix64(seed: 2024)
        for index in 0..<600 {
            let direct = sampler.sample(using: &generator)
            if index % 97 == 0 { #expect(try loaded.episode(index, from: dataset) == direct) }
        }
        #expect(FixedEpisodes(count: 600, sampler: sampler, seed: 2025) != fixed)
    }

    @Test func replayRefusesAnotherDatasetFile() throws {
        let dataset = try fixtureDataset(counts: [6, 6, 6])
        let other = try fixtureDataset(counts: [6, 6, 7])
        let fixed = FixedEpisodes(count: 3, sampler: try EpisodeSampler(dataset: dataset, config: .nWayKShot(way: 2, shot: 1, queries: 2)), seed: 1)
        let error = thrownError { _ = try fixed.episode(0, from: other) }
        #expect(error?.description.hasPrefix("These fixed episodes were generated from a dataset with payload CRC-32 ") == true)
        #expect(error?.description.hasSuffix("Use the original dataset file, or regenerate the episodes from this one with the same seed.") == true)
        #expect(thrownError { _ = try fixed.episode(3, from: dataset) } == .invalidRequest("Fixed episodes: index 3 is outside 0..<3."))
        let missing = try makeTemporaryFolder().appendingPathComponent("none.json")
        #expect(thrownError { _ = try FixedEpisodes(contentsOf: missing) } != nil)
    }

    @Test func sinusoidTasksFollowMAMLsDistribution() {
        let tasks = SinusoidTasks()
        var generator = SplitMix64(seed: 10)
        var amplitudes = [Double](), phases = [Double]()
        for _ in 0..<2000 {
            let episode = tasks.sampleEpisode(shots: 10, queries: 10, using: &generator)
            amplitudes.append(episode.task.amplitude)
            phases.append(episode.task.phase)
            #expect(episode.supportInputs.count == 10 && episode.queryInputs.count == 10)
            for (x, y) in zip(episode.supportInputs + episode.queryInputs, episode.supportTargets + episode.queryTargets) {
                #expect(x >= -5 && x < 5)
                #expect(abs(Double(y) - episode.task.amplitude * sin(Double(x) - episode.task.phase)) < 1e-4)
            }
        }
        #expect(amplitudes.allSatisfy { $0 >= 0.1 && $0 < 5 } && phases.allSatisfy { $0 >= 0 && $0 < Double.pi })
        #expect(abs(amplitudes.reduce(0, +) / 2000 - 2.55) < 0.1)
        #expect(abs(phases.reduce(0, +) / 2000 - Double.pi / 2) < 0.06)
        var a = SplitMix64(seed: 3), b = SplitMix64(seed: 3)
        #expect(tasks.sampleEpisode(shots: 5, queries: 5, using: &a) == tasks.sampleEpisode(shots: 5, queries: 5, using: &b))
    }
}
