// Batch norm then max-pool in one pass, against the two fast kernels in turn (same bits) and against
// the two references composed, on odd sizes, both pooling modes, with and without a scale.

import Kernels
import Testing

@Suite struct BatchNormMaxPoolTests {
    static let shapes = [(1, 1, 1, 1), (2, 5, 7, 3), (3, 4, 4, 8), (1, 7, 5, 9), (2, 6, 6, 17), (1, 33, 3, 1), (8, 32, 32, 8)]

    struct Outputs {
        let pooled, normalized, mean, inverseStd: Buffer<Float>
        let argmax: Buffer<Int32>
        init(count: Int, pooledCount: Int, channels: Int) {
            (pooled, normalized) = (Buffer(count: pooledCount, value: .nan), Buffer(count: count, value: .nan))
            (mean, inverseStd) = (Buffer(count: channels, value: .nan), Buffer(count: channels, value: .nan))
            argmax = Buffer([Int32](repeating: -7, count: pooledCount))
        }
        var bits: [UInt32] { (pooled.array + normalized.array + mean.array + inverseStd.array).map(\.bitPattern) }
    }

    @Test(arguments: shapes, [false, true])
    func matchesTheTwoKernelsAndTheReferences(shape: (Int, Int, Int, Int), ceilMode: Bool) {
        let (b, h, w, c) = shape
        let (ho, wo) = (maxPool2x2OutputSize(h, ceilMode: ceilMode), maxPool2x2OutputSize(w, ceilMode: ceilMode))
        let x = Buffer<Float>.random(b * h * w * c, seed: 81, in: -3...5)
        let offset = Buffer<Float>.random(c, seed: 82), scale = Buffer<Float>.random(c, seed: 83, in: 0.5...2)
        for useScale in [false, true] {
            let s = useScale ? scale.input : nil
            let fused = Outputs(count: x.count, pooledCount: b * ho * wo * c, channels: c)
            batchNormalizeMaxPool2x2(x.input, offset: offset.input, scale: s, into: fused.pooled.output,
                                     argmax: fused.argmax.output, normalized: fused.normalized.output,
                                     mean: fused.mean.output, inverseStd: fused.inverseStd.output, batch: b, height: h,
                                     width: w, channels: c, epsilon: 1e-3, ceilMode: ceilMode)
            // The two fast kernels in turn.
            let twoPass = Outputs(count: x.count, pooledCount: b * ho * wo * c, channels: c)
            let y = Buffer<Float>(count: x.count)
            batchNormalize(x.input, offset: offset.input, scale: s, into: y.output, normalized: twoPass.normalized.output,
                           mean: twoPass.mean.output, inverseStd: twoPass.inverseStd.output, rows: b * h * w, channels: c,
                           epsilon: 1e-3)
            maxPool2x2(y.input, into: twoPass.pooled.output, argmax: twoPass.argmax.output, batch: b, height: h, width: w,
                       channels: c, ceilMode: ceilMode)
            #expect(fused.bits == twoPass.bits, "scale \(useScale)")
            #expect(fused.argmax.array == twoPass.argmax.array, "scale \(useScale)")
            // The references composed.
            let reference = Outputs(count: x.count, pooledCount: b * ho * wo * c, channels: c)
            batchNormalizeMaxPool2x2Reference(x.input, offset: offset.input, scale: s, into: reference.pooled.output,
                                              argmax: reference.argmax.output, normalized: reference.normalized.output,
                                              mean: reference.mean.output, inverseStd: reference.inverseStd.output,
                                              batch: b, height: h, width: w, channels: c, epsilon: 1e-3, ceilMode: ceilMode)
            #expect(maxRelativeError(fused.pooled.array, reference.pooled.array) < 1e-4)
            #expect(maxRelativeError(fused.normalized.array, reference.normalized.array) < 1e-4)
            #expect(fused.argmax.array == reference.argmax.array)
        }
    }

    @Test func sameBitsForAnyThreadCount() {
        let (b, h, w, c) = (8, 32, 32, 8)  // 8 parallel chunks of pooled rows
        let x = Buffer<Float>.random(b * h * w * c, seed: 84)
        let offset = Buffer<Float>.random(c, seed: 85)
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            let out = Outputs(count: x.count, pooledCount: b * 16 * 16 * c, channels: c)
            batchNormalizeMaxPool2x2(x.input, offset: offset.input, scale: nil, into: out.pooled.output,
                                     argmax: out.argmax.output, normalized: out.normalized.output, mean: out.mean.output,
                                     inverseStd: out.inverseStd.output, batch: b, height: h, width: w, channels: c,
                                     epsilon: 1e-3)
            results.append(out.bits + out.argmax.array.map { UInt32(bitPattern: $0) })
        }
        #expect(results[0] == results[1] && results[0] == results[2])
    }
}
