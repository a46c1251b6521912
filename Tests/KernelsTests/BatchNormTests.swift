// Batch normalization: against the reference; the output has mean ≈ offset and variance ≈ scale²·var/(var+ε).

import Kernels
import Testing

@Suite struct BatchNormTests {
    static let shapes = [(1, 1), (7, 1), (13, 3), (33, 8), (65, 5), (2, 17), (784, 4), (3, 64)]

    @Test(arguments: shapes, [false, true])
    func matchesReference(shape: (Int, Int), scaled: Bool) {
        let (rows, channels) = shape
        let x = Buffer<Float>.random(rows * channels, seed: 121, in: -3...5)
        let offset = Buffer<Float>.random(channels, seed: 122)
        let scale = Buffer<Float>.random(channels, seed: 123, in: 0.5...2)
        let outputs = (0..<2).map { _ in
            (Buffer<Float>(count: x.count, value: .nan), Buffer<Float>(count: channels, value: .nan), Buffer<Float>(count: channels, value: .nan))
        }
        batchNormalize(x.input, offset: offset.input, scale: scaled ? scale.input : nil, into: outputs[0].0.output,
                       mean: outputs[0].1.output, inverseStd: outputs[0].2.output, rows: rows, channels: channels, epsilon: 1e-5)
        batchNormalizeReference(x.input, offset: offset.input, scale: scaled ? scale.input : nil, into: outputs[1].0.output,
                                mean: outputs[1].1.output, inverseStd: outputs[1].2.output, rows: rows, channels: channels, epsilon: 1e-5)
        #expect(maxRelativeError(outputs[0].0.array, outputs[1].0.array) < 1e-4)
        #expect(maxRelativeError(outputs[0].1.array, outputs[1].1.array) < 1e-5)
        #expect(maxRelativeError(outputs[0].2.array, outputs[1].2.array) < 1e-4)
    }

    /// `rectified` writes ReLU(y): the same bits as relu on the plain output, and the reference agrees.
    @Test(arguments: shapes)
    func rectifiedIsReLUOfOutput(shape: (Int, Int)) {
        let (rows, channels) = shape
        let x = Buffer<Float>.random(rows * channels, seed: 127, in: -3...5)
        let offset = Buffer<Float>.random(channels, seed: 128)
        let plain = Buffer<Float>(count: x.count, value: .nan), fused = Buffer<Float>(count: x.count, value: .nan)
        let slow = Buffer<Float>(count: x.count, value: .nan), clipped = Buffer<Float>(count: x.count, value: .nan)
        let stats = (0..<6).map { _ in Buffer<Float>(count: channels, value: .nan) }
        batchNormalize(x.input, offset: offset.input, scale: nil, into: plain.output, mean: stats[0].output,
                       inverseStd: stats[1].output, rows: rows, channels: channels, epsilon: 1e-5)
        batchNormalize(x.input, offset: offset.input, scale: nil, into: fused.output, mean: stats[2].output,
                       inverseStd: stats[3].output, rows: rows, channels: channels, epsilon: 1e-5, rectified: true)
        batchNormalizeReference(x.input, offset: offset.input, scale: nil, into: slow.output, mean: stats[4].output,
                                inverseStd: stats[5].output, rows: rows, channels: channels, epsilon: 1e-5, rectified: true)
        relu(plain.input, into: clipped.output)
        #expect(fused.array.map(\.bitPattern) == clipped.array.map(\.bitPattern))
        #expect(maxRelativeError(fused.array, slow.array) < 1e-4)
        #expect(fused.array.allSatisfy { $0 >= 0 })
    }

    /// A mean 10⁴ times the spread, over many 64-row blocks: the variance must come from deviations
    /// (per block, then merged), not from Σx² − n·μ², which would lose every digit here.
    @Test(arguments: [(1000, 3), (4099, 8)])
    func largeMeanSmallSpread(shape: (Int, Int)) {
        let (rows, channels) = shape
        let noise = Buffer<Float>.random(rows * channels, seed: 126, in: -1...1)
        let x = Buffer<Float>(noise.array.map { 1000 + 0.1 * $0 })
        let offset = Buffer<Float>(count: channels)
        let runs = (0..<2).map { _ in
            (Buffer<Float>(count: x.count, value: .nan), Buffer<Float>(count: channels, value: .nan), Buffer<Float>(count: channels, value: .nan))
        }
        batchNormalize(x.input, offset: offset.input, scale: nil, into: runs[0].0.output, mean: runs[0].1.output,
                       inverseStd: runs[0].2.output, rows: rows, channels: channels, epsilon: 1e-5)
        batchNormalizeReference(x.input, offset: offset.input, scale: nil, into: runs[1].0.output, mean: runs[1].1.output,
                                inverseStd: runs[1].2.output, rows: rows, channels: channels, epsilon: 1e-5)
        #expect(maxRelativeError(runs[0].2.array, runs[1].2.array) < 1e-4, "1/σ \(runs[0].2.array) vs \(runs[1].2.array)")
        #expect(maxRelativeError(runs[0].1.array, runs[1].1.array) < 1e-6)
    }

    /// With `normalized`, one pass writes x̂ and y = x̂·scale + offset; y equals the plain call's.
    @Test(arguments: shapes, [false, true])
    func writesNormalizedInput(shape: (Int, Int), scaled: Bool) {
        let (rows, channels) = shape
        let x = Buffer<Float>.random(rows * channels, seed: 125, in: -3...5)
        let offset = Buffer<Float>.random(channels, seed: 126)
        let scale = Buffer<Float>.random(channels, seed: 127, in: 0.5...2)
        func run(_ kernel: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>,
                            UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> ([Float], [Float]) {
            let (y, xhat) = (Buffer<Float>(count: x.count, value: .nan), Buffer<Float>(count: x.count, value: .nan))
            let (mean, inverseStd) = (Buffer<Float>(count: channels), Buffer<Float>(count: channels))
            kernel(y.output, xhat.output, mean.output, inverseStd.output)
            return (y.array, xhat.array)
        }
        let fast = run { y, xhat, mean, inverseStd in
            batchNormalize(x.input, offset: offset.input, scale: scaled ? scale.input : nil, into: y, normalized: xhat,
                           mean: mean, inverseStd: inverseStd, rows: rows, channels: channels, epsilon: 1e-5)
        }
        let reference = run { y, xhat, mean, inverseStd in
            batchNormalizeReference(x.input, offset: offset.input, scale: scaled ? scale.input : nil, into: y, normalized: xhat,
                                    mean: mean, inverseStd: inverseStd, rows: rows, channels: channels, epsilon: 1e-5)
        }
        let plain = run { y, _, mean, inverseStd in
            batchNormalize(x.input, offset: offset.input, scale: scaled ? scale.input : nil, into: y,
                           mean: mean, inverseStd: inverseStd, rows: rows, channels: channels, epsilon: 1e-5)
        }
        #expect(maxRelativeError(fast.1, reference.1) < 1e-4)
        #expect(maxRelativeError(fast.0, reference.0) < 1e-4)
        #expect(maxRelativeError(fast.0, plain.0) < 1e-5)
    }

    @Test(arguments: [(33, 3), (200, 9)])
    func outputStatistics(shape: (Int, Int)) {
        let (rows, channels) = shape
        let x = Buffer<Float>.random(rows * channels, seed: 124, in: 2...6)
        let offset = Buffer<Float>((0..<channels).map { Float($0) - 1 })
        let scale = Buffer<Float>((0..<channels).map { 0.5 + Float($0) })
        let y = Buffer<Float>(count: x.count)
        let mean = Buffer<Float>(count: channels)
        let inverseStd = Buffer<Float>(count: channels)
        let epsilon: Float = 1e-3
        batchNormalize(x.input, offset: offset.input, scale: scale.input, into: y.output, mean: mean.output,
                       inverseStd: inverseStd.output, rows: rows, channels: channels, epsilon: epsilon)
        for c in 0..<channels {
            let column = (0..<rows).map { Double(x[$0 * channels + c]) }
            let xMean = column.reduce(0, +) / Double(rows)
            let xVariance = column.map { ($0 - xMean) * ($0 - xMean) }.reduce(0, +) / Double(rows)
            #expect(abs(Double(mean[c]) - xMean) < 1e-5)
            #expect(abs(Double(inverseStd[c]) - 1 / (xVariance + Double(epsilon)).squareRoot()) < 1e-4)
            let out = (0..<rows).map { Double(y[$0 * channels + c]) }
            let yMean = out.reduce(0, +) / Double(rows)
            let yVariance = out.map { ($0 - yMean) * ($0 - yMean) }.reduce(0, +) / Double(rows)
            let s = Double(scale[c])
            #expect(abs(yMean - Double(offset[c])) < 1e-5)
            #expect(abs(yVariance - s * s * xVariance / (xVariance + Double(epsilon))) < 1e-4 * s * s)
        }
    }

    @Test func singleRowNormalizesToOffset() {
        let x = Buffer<Float>([3, -7])
        let offset = Buffer<Float>([0.25, -1])
        let y = Buffer<Float>(count: 2)
        let mean = Buffer<Float>(count: 2)
        let inverseStd = Buffer<Float>(count: 2)
        batchNormalize(x.input, offset: offset.input, scale: nil, into: y.output, mean: mean.output, inverseStd: inverseStd.output,
                       rows: 1, channels: 2, epsilon: 1e-2)
        #expect(y.array == [0.25, -1] && mean.array == [3, -7] && inverseStd.array == [10, 10])
    }
}
