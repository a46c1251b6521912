// The backward pass of batch norm + ReLU in one kernel, against keepWherePositive → channelSums →
// channelCenteredScale (the same bits) and against the references composed, on awkward sizes and
// 1–3 threads.

@testable import Kernels
import Testing

@Suite struct BatchNormReLUBackwardTests {
    /// (sums, productSums, x̄) of the fused kernel on seeded inputs; y has about half its entries ≤ 0.
    static func fused(rows: Int, channels c: Int) -> [Float] {
        let (g, y, xhat, gain) = inputs(rows: rows, channels: c)
        let (sums, products, xBar) = (Buffer<Float>(count: c, value: .nan), Buffer<Float>(count: c, value: .nan),
                                      Buffer<Float>(count: rows * c, value: .nan))
        batchNormReLUBackward(g.input, output: y.input, xhat: xhat.input, gain: gain.input, sums: sums.output,
                              productSums: products.output, into: xBar.output, rows: rows, channels: c)
        return sums.array + products.array + xBar.array
    }

    static func inputs(rows: Int, channels c: Int) -> (Buffer<Float>, Buffer<Float>, Buffer<Float>, Buffer<Float>) {
        let y = Buffer<Float>.random(rows * c, seed: 72)
        for i in stride(from: 0, to: y.count, by: 5) { y.output[i] = 0 }  // exact zeros are masked too
        return (Buffer<Float>.random(rows * c, seed: 71), y, Buffer<Float>.random(rows * c, seed: 73, in: -2...2),
                Buffer<Float>.random(c, seed: 74, in: 0.5...2))
    }

    @Test(arguments: [(1, 1), (7, 3), (65, 13), (130, 8), (300, 33), (3675, 64)])
    func matchesTheThreeKernelsAndTheReference(rows: Int, channels c: Int) {
        let (g, y, xhat, gain) = Self.inputs(rows: rows, channels: c)
        let fused = Self.fused(rows: rows, channels: c)
        let masked = Buffer<Float>(count: rows * c)
        keepWherePositive(g.input, where: y.input, into: masked.output)
        let (sums, products) = (Buffer<Float>(count: c), Buffer<Float>(count: c))
        channelSums(masked.input, andProductsWith: xhat.input, sums: sums.output, productSums: products.output,
                    rows: rows, channels: c)
        let (m1, m2) = (Buffer<Float>(count: c), Buffer<Float>(count: c))
        scale(sums.input, by: 1 / Float(rows), into: m1.output)
        scale(products.input, by: 1 / Float(rows), into: m2.output)
        let xBar = Buffer<Float>(count: rows * c)
        channelCenteredScale(masked.input, mean1: m1.input, xhat: xhat.input, mean2: m2.input, gain: gain.input,
                             into: xBar.output, rows: rows, channels: c)
        #expect(fused.map(\.bitPattern) == (sums.array + products.array + xBar.array).map(\.bitPattern))

        let (rs, rp, rx) = (Buffer<Float>(count: c), Buffer<Float>(count: c), Buffer<Float>(count: rows * c))
        batchNormReLUBackwardReference(g.input, output: y.input, xhat: xhat.input, gain: gain.input, sums: rs.output,
                                       productSums: rp.output, into: rx.output, rows: rows, channels: c)
        #expect(maxRelativeError(fused, rs.array + rp.array + rx.array) < 1e-3)
    }

    @Test func sameBitsForAnyThreadCount() {
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            results.append(Self.fused(rows: 5000, channels: 64).map(\.bitPattern))  // several chunks in both passes
        }
        #expect(results[0] == results[1] && results[1] == results[2])
    }
}
