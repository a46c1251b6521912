// gather / scatterAdd: known values with repeated indices and the adjoint identity.

import Kernels
import Testing

@Suite struct GatherScatterTests {
    static func indices(_ count: Int, range: Int, seed: UInt64) -> Buffer<Int32> {
        var generator = SeededGenerator(seed: seed)
        return Buffer((0..<count).map { _ in Int32.random(in: 0..<Int32(range), using: &generator) })
    }

    @Test func knownValuesWithRepeats() {
        let source = Buffer<Float>([10, 20, 30])
        let index = Buffer<Int32>([2, 0, 2, 1])
        let out = Buffer<Float>(count: 4)
        gather(source.input, indices: index.input, into: out.output)
        #expect(out.array == [30, 10, 30, 20])
        let back = Buffer<Float>([1, 1, 1])
        let values = Buffer<Float>([1, 2, 3, 4])
        scatterAdd(values.input, indices: index.input, into: back.output)
        #expect(back.array == [3, 5, 5])
    }

    /// ⟨gather(x), y⟩ = ⟨x, scatterAdd(y)⟩
    @Test(arguments: awkwardSizes + [0], [1, 8, 33])
    func scatterAddIsTheAdjointOfGather(count: Int, sourceCount: Int) {
        let x = Buffer<Float>.random(sourceCount, seed: 31)
        let y = Buffer<Float>.random(count, seed: 32)
        let index = Self.indices(count, range: sourceCount, seed: 33)
        let gathered = Buffer<Float>(count: count)
        let scattered = Buffer<Float>(count: sourceCount)
        gather(x.input, indices: index.input, into: gathered.output)
        scatterAdd(y.input, indices: index.input, into: scattered.output)
        #expect(nearlyEqual(dotDouble(gathered.array, y.array), dotDouble(x.array, scattered.array)))
    }
}
