// The backward pass of batch norm + max-pool in one kernel, against maxUnpool2x2 → channelSums →
// channelCenteredScale (the same bits) and against the references composed, on odd sizes, both
// pooling modes, several parallel chunks and 1–3 threads.

@testable import Kernels
import Testing

@Suite struct BatchNormMaxPoolBackwardTests {
    static let shapes = [(1, 1, 1, 1), (2, 5, 7, 3), (1, 1, 3, 5), (3, 4, 4, 8), (1, 7, 5, 9), (2, 6, 6, 17),
                         (1, 33, 3, 1), (6, 32, 32, 32)]

    /// ȳ, argmax and x̂ as the forward kernel makes them, and a gain.
    struct Inputs {
        let g, xhat, gain: Buffer<Float>
        let argmax: Buffer<Int32>
        let b, h, w, c: Int

        init(_ shape: (Int, Int, Int, Int), ceilMode: Bool) {
            (b, h, w, c) = shape
            let pooledCount = b * maxPool2x2OutputSize(h, ceilMode: ceilMode) * maxPool2x2OutputSize(w, ceilMode: ceilMode) * c
            let x = Buffer<Float>.random(b * h * w * c, seed: 91, in: -3...5)
            xhat = Buffer(count: x.count)
            argmax = Buffer([Int32](repeating: 0, count: pooledCount))
            let pooled = Buffer<Float>(count: pooledCount)
            let (mean, inverseStd) = (Buffer<Float>(count: c), Buffer<Float>(count: c))
            batchNormalizeMaxPool2x2(x.input, offset: Buffer<Float>.random(c, seed: 92).input, scale: nil,
                                     into: pooled.output, argmax: argmax.output, normalized: xhat.output,
                                     mean: mean.output, inverseStd: inverseStd.output, batch: b, height: h, width: w,
                                     channels: c, epsilon: 1e-3, ceilMode: ceilMode)
            g = Buffer<Float>.random(pooledCount, seed: 93)
            gain = Buffer<Float>.random(c, seed: 94, in: 0.5...2)
        }

        /// (sums, productSums, x̄) from the fused kernel.
        func fused(ceilMode: Bool) -> [Float] {
            let (sums, products, xBar) = (Buffer<Float>(count: c, value: .nan), Buffer<Float>(count: c, value: .nan),
                                          Buffer<Float>(count: xhat.count, value: .nan))
            batchNormMaxUnpoolBackward(g.input, argmax: argmax.input, xhat: xhat.input, gain: gain.input, sums: sums.output,
                                       productSums: products.output, into: xBar.output, batch: b, height: h, width: w,
                                       channels: c, ceilMode: ceilMode)
            return sums.array + products.array + xBar.array
        }
    }

    @Test(arguments: shapes, [false, true])
    func matchesTheThreeKernelsAndTheReferences(shape: (Int, Int, Int, Int), ceilMode: Bool) {
        let inputs = Inputs(shape, ceilMode: ceilMode)
        let (c, rows) = (inputs.c, inputs.xhat.count / inputs.c)
        let fused = inputs.fused(ceilMode: ceilMode)
        // The three fast kernels in turn, as the composite backward pass calls them.
        let unpooled = Buffer<Float>(count: inputs.xhat.count)
        maxUnpool2x2(inputs.g.input, argmax: inputs.argmax.input, into: unpooled.output, batch: inputs.b,
                     height: inputs.h, width: inputs.w, channels: c, ceilMode: ceilMode)
        let (sums, products) = (Buffer<Float>(count: c), Buffer<Float>(count: c))
        channelSums(unpooled.input, andProductsWith: inputs.xhat.input, sums: sums.output, productSums: products.output,
                    rows: rows, channels: c)
        let (m1, m2) = (Buffer<Float>(count: c), Buffer<Float>(count: c))
        scale(sums.input, by: 1 / Float(rows), into: m1.output)
        scale(products.input, by: 1 / Float(rows), into: m2.output)
        let xBar = Buffer<Float>(count: inputs.xhat.count)
        channelCenteredScale(unpooled.input, mean1: m1.input, xhat: inputs.xhat.input, mean2: m2.input,
                             gain: inputs.gain.input, into: xBar.output, rows: rows, channels: c)
        let threeKernels = sums.array + products.array + xBar.array
        #expect(fused.map(\.bitPattern) == threeKernels.map(\.bitPattern))
        // The references composed.
        let (rs, rp, rx) = (Buffer<Float>(count: c), Buffer<Float>(count: c), Buffer<Float>(count: inputs.xhat.count))
        batchNormMaxUnpoolBackwardReference(inputs.g.input, argmax: inputs.argmax.input, xhat: inputs.xhat.input,
                                            gain: inputs.gain.input, sums: rs.output, productSums: rp.output,
                                            into: rx.output, batch: inputs.b, height: inputs.h, width: inputs.w,
                                            channels: c, ceilMode: ceilMode)
        #expect(maxRelativeError(fused, rs.array + rp.array + rx.array) < 1e-3)
    }

    @Test func sameBitsForAnyThreadCount() {
        let inputs = Inputs((6, 32, 32, 32), ceilMode: false)  // 96 blocks in 12 parallel chunks
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            results.append(inputs.fused(ceilMode: false).map(\.bitPattern))
        }
        #expect(results[0] == results[1] && results[1] == results[2])
    }
}
