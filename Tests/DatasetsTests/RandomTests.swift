// SplitMix64 reference values and resumable state; the uniform draws the samplers rely on.

import Randomness
import Testing
@testable import Datasets

@Suite struct RandomTests {
    @Test func splitMix64MatchesTheReferenceImplementation() {
        // Outputs of Vigna's splitmix64.c for seeds 0 and 42.
        var zero = SplitMix64(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var answer = SplitMix64(seed: 42)
        #expect([answer.next(), answer.next(), answer.next()] == [0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103, 0x4752_6757_130F_9F52])
    }

    @Test func savedStateResumesExactly() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<10 { _ = generator.next() }
        let saved = generator.state
        let expected = (0..<5).map { _ in generator.next() }
        var resumed = SplitMix64(state: saved)
        #expect((0..<5).map { _ in resumed.next() } == expected)
    }

    @Test func indexDrawsAreInRangeAndEvenlySpread() {
        var generator = SplitMix64(seed: 1)
        var histogram = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { histogram[RandomDraws.index(below: 6, using: &generator)] += 1 }
        // Each bucket expects 10,000 (standard deviation ≈ 91).
        #expect(histogram.allSatisfy { abs($0 - 10_000) < 500 }, "\(histogram)")
        for _ in 0..<1000 {
            #expect((3...5).contains(RandomDraws.integer(in: 3...5, using: &generator)))
            let unit = RandomDraws.unit(using: &generator)
            #expect(unit >= 0 && unit < 1)
        }
        #expect(RandomDraws.index(below: 1, using: &generator) == 0)
    }

    @Test(arguments: [(3, 100), (20, 25), (25, 25), (0, 4), (300, 2000)])
    func distinctDrawsHaveNoRepeats(count: Int, population: Int) {
        var generator = SplitMix64(seed: UInt64(count * 1000 + population))
        for _ in 0..<20 {
            let drawn = RandomDraws.distinct(count, from: population, using: &generator)
            #expect(drawn.count == count)
            #expect(Set(drawn).count == count)
            #expect(drawn.allSatisfy { $0 >= 0 && $0 < population })
        }
    }

    @Test func distinctDrawsPutEveryValueFirstEquallyOften() {
        // Both algorithms (redraw for 2 of 10, partial shuffle for 8 of 10).
        for count in [2, 8] {
            var generator = SplitMix64(seed: 99)
            var first = [Int](repeating: 0, count: 10)
            for _ in 0..<20_000 { first[RandomDraws.distinct(count, from: 10, using: &generator)[0]] += 1 }
            #expect(first.allSatisfy { abs($0 - 2000) < 200 }, "count \(count): \(first)")
        }
    }
}
