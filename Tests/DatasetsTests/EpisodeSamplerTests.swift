// Episode sampler: determinism, counts and ordering, L2B any-shot rules, rotations, varying
// ways, round robin, and the errors for impossible requests.

import Randomness
import Testing
@testable import Datasets

@Suite struct EpisodeSamplerTests {
    @Test func nWayKShotEpisodesHaveTheRightShapesLabelsAndPixels() throws {
        let dataset = try fixtureDataset(counts: Array(repeating: 20, count: 12), height: 4, width: 4)
        let sampler = try EpisodeSampler(dataset: dataset, config: .nWayKShot(way: 5, shot: 3, queries: 4))
        var generator = SplitMix64(seed: 3)
        for _ in 0..<20 {
            let episode = sampler.sample(using: &generator)
            #expect(episode.way == 5)
            #expect(episode.supportShape == [15, 4, 4, 1] && episode.queryShape == [20, 4, 4, 1])
            #expect(episode.supportImages.count == 15 * 16 && episode.queryImages.count == 20 * 16)
            #expect(episode.supportCounts == [3, 3, 3, 3, 3] && episode.queryCounts == [4, 4, 4, 4, 4])
            #expect(episode.supportLabels == (0..<5).flatMap { Array(repeating: Int32($0), count: 3) })
            #expect(episode.queryLabels == (0..<5).flatMap { Array(repeating: Int32($0), count: 4) })
            #expect(Set(episode.spec.classes).count == 5)
            for label in 0..<5 {
                let support = episode.spec.supportInstances[label], query = episode.spec.queryInstances[label]
                #expect(Set(support + query).count == 7, "support and query overlap")
                let c = episode.spec.classes[label]
                for (k, instance) in support.enumerated() {
                    let row = label * 3 + k
                    let expected = fixtureImage(c: c, i: instance, imageBytes: 16).map { Float($0) / 255 }
                    #expect(Array(episode.supportImages[(row * 16)..<(row * 16 + 16)]) == expected)
                }
                let row = label * 4 + 3
                let expected = fixtureImage(c: c, i: query[3], imageBytes: 16).map { Float($0) / 255 }
                #expect(Array(episode.queryImages[(row * 16)..<(row * 16 + 16)]) == expected)
            }
        }
    }

    @Test func theSameSeedGivesTheSameEpisodes() throws {
        let dataset = try fixtureDataset(counts: Array(repeating: 30, count: 10))
        let sampler = try EpisodeSampler(dataset: dataset, config: .anyShot(way: 5, maxShot: 10, queries: 5))
        var a = SplitMix64(seed: 11), b = SplitMix64(seed: 11), c = SplitMix64(seed: 12)
        let first = (0..<10).map { _ in sampler.sample(using: &a) }
        let second = (0..<10).map { _ in sampler.sample(using: &b) }
        let other = (0..<10).map { _ in sampler.sample(using: &c) }
        #expect(first == second)
        #expect(first.map(\.spec) != other.map(\.spec))
    }

    @Test func anyShotFollowsL2BRules() throws {
        // Plenty of instances: no capping, so task imbalance ⇔ all shots equal (almost surely).
        let dataset = try fixtureDataset(counts: Array(repeating: 80, count: 10), height: 2, width: 2)
        let sampler = try EpisodeSampler(dataset: dataset, config: .anyShot(way: 5, maxShot: 50, queries: 15))
        var generator = SplitMix64(seed: 5)
        var taskImbalanced = 0, shotsSeen = Set<Int>()
        let trials = 2000
        for _ in 0..<trials {
            let episode = sampler.sample(using: &generator)
            #expect(episode.queryCounts == Array(repeating: 15, count: 5))
            #expect(episode.supportCounts.allSatisfy { (1...50).contains($0) })
            #expect(episode.supportLabels == episode.supportCounts.enumerated().flatMap {
                Array(repeating: Int32($0.offset), count: $0.element) })
            if Set(episode.supportCounts).count == 1 { taskImbalanced += 1 }
            shotsSeen.formUnion(episode.supportCounts)
        }
        #expect(abs(taskImbalanced - trials / 2) < 100, "task-imbalanced episodes: \(taskImbalanced) of \(trials)")
        #expect(shotsSeen == Set(1...50))
    }

    @Test func anyShotCapsShotsByAvailableInstances() throws {
        // Class sizes 16...20 with Q = 15: a class with n_c images gets at most n_c − 15 shots.
        let counts = [16, 17, 18, 19, 20]
        let dataset = try fixtureDataset(counts: counts, height: 2, width: 2)
        let sampler = try EpisodeSampler(dataset: dataset, config: .anyShot(way: 5, maxShot: 50, queries: 15))
        var generator = SplitMix64(seed: 8)
        var capped = 0
        for _ in 0..<300 {
            let episode = sampler.sample(using: &generator)
            for label in 0..<5 {
                let available = counts[episode.spec.classes[label]]
                #expect(episode.supportCounts[label] <= available - 15)
                #expect(episode.supportCounts[label] >= 1)
                if episode.supportCounts[label] == available - 15 { capped += 1 }
            }
            #expect(episode.queryCounts == [15, 15, 15, 15, 15])
        }
        #expect(capped > 1000, "shots drawn from 1...50 should almost always hit the cap")
    }

    @Test func rotationAugmentationRotatesWholeClasses() throws {
        let dataset = try fixtureDataset(counts: Array(repeating: 6, count: 8), height: 3, width: 3)
        let sampler = try EpisodeSampler(dataset: dataset, config: .nWayKShot(way: 4, shot: 2, queries: 1, rotations: true))
        var generator = SplitMix64(seed: 21)
        var rotationsSeen = Set<Int>()
        for _ in 0..<30 {
            let episode = sampler.sample(using: &generator)
            rotationsSeen.formUnion(episode.spec.rotations)
            for label in 0..<4 {
                let c = episode.spec.classes[label], k = episode.spec.rotations[label]
                let instance = episode.spec.supportInstances[label][1]
                var expected = [Float](repeating: 0, count: 9)
                fixtureImage(c: c, i: instance, imageBytes: 9).withUnsafeBytes { bytes in
                    expected.withUnsafeMutableBufferPointer {
                        ImageRotation.copyRotated(bytes, height: 3, width: 3, channels: 1, quarterTurns: k, into: $0.baseAddress!)
                    }
                }
                let row = label * 2 + 1
                #expect(Array(episode.supportImages[(row * 9)..<(row * 9 + 9)]) == expected)
            }
        }
        #expect(rotationsSeen == [0, 1, 2, 3])
    }

    @Test func varyingWaysCoverTheRange() throws {
        let dataset = try fixtureDataset(counts: Array(repeating: 5, count: 10))
        let config = EpisodeConfig(ways: .varying(2...6), shots: .fixed(1), queriesPerClass: 2)
        let sampler = try EpisodeSampler(dataset: dataset, config: config)
        var generator = SplitMix64(seed: 2)
        let ways = Set((0..<200).map { _ in sampler.sample(using: &generator).way })
        #expect(ways == Set(2...6))
    }

    @Test func roundRobinTakesEachMetaBatchFromOneDataset() throws {
        let small = try fixtureDataset(counts: Array(repeating: 5, count: 6), height: 2, width: 2)
        let large = try fixtureDataset(counts: Array(repeating: 5, count: 6), height: 5, width: 5)
        let robin = try RoundRobinSampler(samplers: [
            EpisodeSampler(dataset: small, config: .nWayKShot(way: 3, shot: 1, queries: 1)),
            EpisodeSampler(dataset: large, config: .nWayKShot(way: 2, shot: 2, queries: 1)),
        ])
        var generator = SplitMix64(seed: 4)
        for iteration in 0..<6 {
            let batch = robin.metaBatch(iteration: iteration, size: 3, using: &generator)
            #expect(batch.datasetIndex == iteration % 2)
            #expect(batch.episodes.count == 3)
            #expect(batch.episodes.allSatisfy { $0.height == (iteration % 2 == 0 ? 2 : 5) })
        }
    }

    @Test func impossibleRequestsAreExplained() throws {
        let dataset = try fixtureDataset(counts: [10, 10, 4], height: 2, width: 3)
        #expect(thrownError { _ = try EpisodeSampler(dataset: dataset, config: .nWayKShot(way: 4, shot: 1, queries: 1)) }
            == .invalidRequest("EpisodeSampler: 4-way episodes need 4 classes, but fixture.mlds has 3. Lower the way, "
                + "or use a split with more classes."))
        #expect(thrownError { _ = try EpisodeSampler(dataset: dataset, config: .nWayKShot(way: 2, shot: 2, queries: 3)) }
            == .invalidRequest("EpisodeSampler: class 2 (\"class2\") of fixture.mlds has 4 images, but this configuration "
                + "needs at least 5 per class (shots + 3 queries). Lower the shot or the queries."))
        #expect(thrownError { _ = try EpisodeSampler(dataset: dataset, config: .nWayKShot(way: 2, shot: 1, queries: 1, rotations: true)) }
            == .invalidRequest("EpisodeSampler: rotation augmentation needs square images; fixture.mlds has 2×3."))
        #expect(thrownError { _ = try EpisodeSampler(dataset: dataset, config: .anyShot(way: 2, maxShot: 0, queries: 1)) } != nil)
        let foreign = EpisodeSpec(classes: [0, 7], rotations: [0, 0], supportInstances: [[0], [0]], queryInstances: [[1], [1]])
        #expect(thrownError { _ = try dataset.makeEpisode(foreign) } != nil)
    }
}
