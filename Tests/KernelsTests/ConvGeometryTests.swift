// Output sizes and paddings of ConvGeometry for the encoder/decoder shapes the models use.

import Kernels
import Testing

@Suite struct ConvGeometryTests {
    func geometry(_ size: Int, k: Int, s: Int, _ padding: Padding) -> ConvGeometry {
        ConvGeometry(batch: 1, inputHeight: size, inputWidth: size, inputChannels: 1,
                     kernelHeight: k, kernelWidth: k, stride: s, padding: padding)
    }

    /// The 4-layer encoder: 28 → 14 → 7 → 4 → 2 with k3, s2, padding 1.
    @Test func encoderChain() {
        var sizes = [28]
        for _ in 0..<4 { sizes.append(geometry(sizes.last!, k: 3, s: 2, .symmetric(1)).outputHeight) }
        #expect(sizes == [28, 14, 7, 4, 2])
    }

    /// Meta-GMVAE decoder layers as transposed convolutions: a ConvT from `small` to `large` has the
    /// geometry of a convolution from `large` to `small`.
    @Test(arguments: [(2, 4, 4), (4, 7, 3), (7, 14, 4), (14, 28, 4)])
    func decoderSizes(small: Int, large: Int, kernel: Int) {
        let g = geometry(large, k: kernel, s: 2, .symmetric(1))
        #expect(g.outputHeight == small && g.outputWidth == small)
    }

    @Test func samePaddingPutsTheExtraAtTheBottomRight() {
        let odd = geometry(6, k: 3, s: 2, .same)  // total pad 1
        #expect(odd.outputHeight == 3 && odd.padTop == 0 && odd.padBottom == 1 && odd.padLeft == 0 && odd.padRight == 1)
        let even = geometry(7, k: 3, s: 2, .same)  // total pad 2
        #expect(even.outputHeight == 4 && even.padTop == 1 && even.padBottom == 1)
        let stride1 = geometry(5, k: 4, s: 1, .same)  // total pad 3
        #expect(stride1.outputHeight == 5 && stride1.padTop == 1 && stride1.padBottom == 2)
        let large = geometry(28, k: 1, s: 2, .same)  // no pad needed
        #expect(large.outputHeight == 14 && large.padTop == 0 && large.padBottom == 0)
    }

    @Test func validAndExplicitSizes() {
        let valid = geometry(7, k: 3, s: 2, .valid)
        #expect(valid.outputHeight == 3 && valid.padTop == 0)
        let g = ConvGeometry(batch: 2, inputHeight: 5, inputWidth: 6, inputChannels: 3, kernelHeight: 3, kernelWidth: 2,
                             stride: 2, padding: .explicit(top: 2, bottom: 0, left: 1, right: 3))
        #expect(g.outputHeight == 3 && g.outputWidth == 5)  // (5+2-3)/2+1, (6+4-2)/2+1
        #expect(g.columnRows == 2 * 3 * 5 && g.columnWidth == 3 * 2 * 3 && g.inputCount == 2 * 5 * 6 * 3)
        #expect(g.outputCount(channels: 4) == 2 * 3 * 5 * 4)
    }

    @Test func sizeOneAndKernelCoveringTheInput() {
        let one = geometry(1, k: 1, s: 1, .valid)
        #expect(one.outputHeight == 1 && one.columnWidth == 1)
        let cover = geometry(2, k: 4, s: 2, .symmetric(1))
        #expect(cover.outputHeight == 1)
    }
}
