// 2×2 max pooling (fast vs reference, ties, ceil mode, argmax as a scatter target) and global average pooling.

import Kernels
import Testing

@Suite struct PoolingTests {
    struct PoolCase: Sendable, CustomTestStringConvertible {
        let batch, height, width, channels: Int
        let ceilMode: Bool
        var testDescription: String { "[\(batch),\(height),\(width),\(channels)] ceil \(ceilMode)" }
    }

    static let cases: [PoolCase] = [
        (1, 1, 1, 1), (1, 2, 2, 1), (2, 7, 7, 3), (1, 13, 6, 5), (1, 8, 8, 8), (2, 6, 10, 9),
        (1, 33, 3, 17), (1, 4, 65, 2), (0, 4, 4, 3), (3, 28, 28, 1),
    ].flatMap { s in [false, true].map { PoolCase(batch: s.0, height: s.1, width: s.2, channels: s.3, ceilMode: $0) } }

    @Test(arguments: cases)
    func maxPoolMatchesReference(_ c: PoolCase) {
        let x = Buffer<Float>.random(c.batch * c.height * c.width * c.channels, seed: 21)
        // Coarse values make ties common, to test that both versions pick the same first maximum.
        for i in 0..<x.count { x[i] = (x[i] * 3).rounded() }
        let outCount = c.batch * maxPool2x2OutputSize(c.height, ceilMode: c.ceilMode)
            * maxPool2x2OutputSize(c.width, ceilMode: c.ceilMode) * c.channels
        let fast = Buffer<Float>(count: outCount, value: .nan)
        let reference = Buffer<Float>(count: outCount, value: .nan)
        let fastIndex = Buffer<Int32>([Int32](repeating: -1, count: outCount))
        let referenceIndex = Buffer<Int32>([Int32](repeating: -1, count: outCount))
        maxPool2x2(x.input, into: fast.output, argmax: fastIndex.output,
                   batch: c.batch, height: c.height, width: c.width, channels: c.channels, ceilMode: c.ceilMode)
        maxPool2x2Reference(x.input, into: reference.output, argmax: referenceIndex.output,
                            batch: c.batch, height: c.height, width: c.width, channels: c.channels, ceilMode: c.ceilMode)
        #expect(fast.array == reference.array)
        #expect(fastIndex.array == referenceIndex.array)
        #expect(fastIndex.array.indices.allSatisfy { x[Int(fastIndex[$0])] == fast[$0] })
    }

    @Test("maxUnpool2x2 = zeros then a scatter to argmax, with the same bits", arguments: cases)
    func unpoolMatchesReference(_ c: PoolCase) {
        let x = Buffer<Float>.random(c.batch * c.height * c.width * c.channels, seed: 23)
        let outCount = c.batch * maxPool2x2OutputSize(c.height, ceilMode: c.ceilMode)
            * maxPool2x2OutputSize(c.width, ceilMode: c.ceilMode) * c.channels
        let pooled = Buffer<Float>(count: outCount, value: .nan)
        let argmax = Buffer<Int32>([Int32](repeating: -1, count: outCount))
        maxPool2x2(x.input, into: pooled.output, argmax: argmax.output,
                   batch: c.batch, height: c.height, width: c.width, channels: c.channels, ceilMode: c.ceilMode)
        let g = Buffer<Float>.random(outCount, seed: 24)
        let fast = Buffer<Float>(count: x.count, value: .nan), reference = Buffer<Float>(count: x.count, value: .nan)
        maxUnpool2x2(g.input, argmax: argmax.input, into: fast.output,
                     batch: c.batch, height: c.height, width: c.width, channels: c.channels, ceilMode: c.ceilMode)
        maxUnpool2x2Reference(g.input, argmax: argmax.input, into: reference.output,
                              batch: c.batch, height: c.height, width: c.width, channels: c.channels, ceilMode: c.ceilMode)
        #expect(fast.array.map(\.bitPattern) == reference.array.map(\.bitPattern))
    }

    @Test func tiesPickTheFirstInWindowOrder() {
        // One 2×2 window, 2 channels: channel 0 all equal, channel 1 ties between bottom-left and bottom-right.
        let x = Buffer<Float>([5, 1, 5, 2, 5, 7, 5, 7])
        let y = Buffer<Float>(count: 2)
        let argmax = Buffer<Int32>([0, 0])
        maxPool2x2(x.input, into: y.output, argmax: argmax.output, batch: 1, height: 2, width: 2, channels: 2)
        #expect(y.array == [5, 7])
        #expect(argmax.array == [0, 5])
    }

    @Test func ceilModeClipsEdgeWindows() {
        #expect(maxPool2x2OutputSize(7, ceilMode: true) == 4)
        #expect(maxPool2x2OutputSize(7, ceilMode: false) == 3)
        // In ceil mode a 3×3 input gives 2×2: the right column and bottom row are clipped windows.
        let x = Buffer<Float>([1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = Buffer<Float>(count: 4)
        let argmax = Buffer<Int32>([Int32](repeating: 0, count: 4))
        maxPool2x2(x.input, into: y.output, argmax: argmax.output, batch: 1, height: 3, width: 3, channels: 1, ceilMode: true)
        #expect(y.array == [5, 6, 8, 9])
        #expect(argmax.array == [4, 5, 7, 8])
    }

    @Test func ceilModeSevenToFour() {
        let x = Buffer<Float>.random(7 * 7 * 2, seed: 22)
        let y = Buffer<Float>(count: 4 * 4 * 2)
        let argmax = Buffer<Int32>([Int32](repeating: 0, count: 4 * 4 * 2))
        maxPool2x2(x.input, into: y.output, argmax: argmax.output, batch: 1, height: 7, width: 7, channels: 2, ceilMode: true)
        // The corner output (3, 3) sees only x[6, 6].
        #expect(y[(3 * 4 + 3) * 2] == x[(6 * 7 + 6) * 2])
        #expect(argmax[(3 * 4 + 3) * 2 + 1] == Int32((6 * 7 + 6) * 2 + 1))
    }

    @Test(arguments: [(1, 1, 1), (2, 7, 3), (3, 49, 13), (1, 4, 65), (0, 3, 2), (2, 1, 9)])
    func globalAveragePoolMatchesReference(batch: Int, spatial: Int, channels: Int) {
        let x = Buffer<Float>.random(batch * spatial * channels, seed: 23)
        let fast = Buffer<Float>(count: batch * channels, value: .nan)
        let reference = Buffer<Float>(count: batch * channels, value: .nan)
        globalAveragePool(x.input, into: fast.output, batch: batch, spatial: spatial, channels: channels)
        globalAveragePoolReference(x.input, into: reference.output, batch: batch, spatial: spatial, channels: channels)
        #expect(maxRelativeError(fast.array, reference.array) < 1e-6)
    }

    @Test func globalAveragePoolKnownValues() {
        let x = Buffer<Float>([1, 10, 2, 20, 3, 30, 6, 60])  // [1, 4, 2]
        let y = Buffer<Float>(count: 2)
        globalAveragePool(x.input, into: y.output, batch: 1, spatial: 4, channels: 2)
        #expect(y.array == [3, 30])
    }
}
