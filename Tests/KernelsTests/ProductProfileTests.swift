// ProductProfile: while enabled, every product is recorded once under its shape and algorithm, with
// its flop count; while disabled, nothing is. The shapes are ones no other test uses, and this suite
// is the only code that turns the profile on, so tests running alongside cannot change the counts.

@testable import Kernels
import Testing

@Suite(.serialized) struct ProductProfileTests {
    func entry(_ shape: ProductProfile.Shape) -> ProductProfile.Entry? {
        ProductProfile.entries().first { $0.shape == shape }
    }

    @Test func recordsEachProductOnceUnderItsAlgorithm() {
        let (a, b) = (Buffer<Float>.random(61 * 37, seed: 1), Buffer<Float>.random(37 * 53, seed: 2))
        let c = Buffer<Float>(count: 61 * 53)
        let (deepA, deepB) = (Buffer<Float>.random(700 * 7, seed: 3), Buffer<Float>.random(700 * 11, seed: 4))
        let deepC = Buffer<Float>(count: 7 * 11)
        ProductProfile.reset()
        ProductProfile.isEnabled = true
        for _ in 0..<3 { matmul(a.input, b.input, into: c.output, m: 61, n: 53, k: 37) }
        matmulSerialUnpacked(a.input, b.input, into: c.output, m: 61, n: 53, k: 37, transposeB: false, accumulate: true)
        matmul(deepA.input, deepB.input, into: deepC.output, m: 7, n: 11, k: 700, transposeA: true)
        let room = UnsafeMutableBufferPointer<Float>.allocate(capacity: PackedB.floats(n: 53, k: 37))
        defer { room.deallocate() }
        let packed = PackedB(b.input, n: 53, k: 37, transposed: false, into: room)
        matmul(a.input, packed, into: c.output, m: 61)
        ProductProfile.isEnabled = false
        matmul(a.input, b.input, into: c.output, m: 61, n: 53, k: 37)  // after: not recorded

        let packedShape = ProductProfile.Shape(m: 61, n: 53, k: 37, transposeA: false, transposeB: false, algorithm: "packed")
        let recorded = entry(packedShape)
        #expect(recorded?.calls == 3)
        #expect(recorded.map { Int($0.flops) } == 3 * 2 * 61 * 53 * 37)
        #expect((recorded?.seconds ?? 0) > 0)
        #expect(entry(.init(m: 61, n: 53, k: 37, transposeA: false, transposeB: false, algorithm: "direct"))?.calls == 1)
        #expect(entry(.init(m: 7, n: 11, k: 700, transposeA: true, transposeB: false, algorithm: "deep"))?.calls == 1)
        #expect(entry(.init(m: 61, n: 53, k: 37, transposeA: false, transposeB: false, algorithm: "prepacked"))?.calls == 1)
        #expect(ProductProfile.Shape(m: 7, n: 11, k: 700, transposeA: true, transposeB: false, algorithm: "deep").description
                == "7×11×700 Aᵀ·B deep")
    }

    /// A transposed convolution to one channel (a one-channel layer's input gradient, a decoder's last
    /// layer) runs its products through the nine-column path, with its weights packed or not.
    @Test func oneChannelInputGradientTakesTheNineColumnPath() {
        let g = ConvGeometry(batch: 3, inputHeight: 13, inputWidth: 11, inputChannels: 1, kernelHeight: 3, kernelWidth: 3,
                             stride: 2, padding: .symmetric(1))
        let cout = 23  // with m = 3·7·6 = 126, a product shape no other test runs (they may run meanwhile)
        let y = Buffer<Float>.random(3 * g.outputHeight * g.outputWidth * cout, seed: 7)
        let w = Buffer<Float>.random(9 * cout, seed: 8)
        let x = Buffer<Float>(count: 3 * 13 * 11)
        ProductProfile.reset()
        ProductProfile.isEnabled = true
        transposedConvolution(y.input, weights: w.input, into: x.output, geometry: g, outputChannels: cout)
        ProductProfile.isEnabled = false
        let entries = ProductProfile.entries().filter { $0.shape.m == 126 && $0.shape.n == 9 && $0.shape.k == cout }
        #expect(!entries.isEmpty)
        #expect(entries.allSatisfy { $0.shape.algorithm == "nine" }, "\(entries.map(\.shape))")
    }

    @Test func recordsNothingWhenDisabled() {
        let (a, b) = (Buffer<Float>.random(43 * 29, seed: 5), Buffer<Float>.random(29 * 31, seed: 6))
        let c = Buffer<Float>(count: 43 * 31)
        ProductProfile.reset()
        #expect(!ProductProfile.isEnabled)
        matmul(a.input, b.input, into: c.output, m: 43, n: 31, k: 29)
        #expect(!ProductProfile.entries().contains { $0.shape.m == 43 && $0.shape.n == 31 && $0.shape.k == 29 })
    }
}
