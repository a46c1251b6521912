// Transposed convolution against its direct reference, and as the adjoint of convolution:
// ⟨conv(x), y⟩ = ⟨x, convT(y)⟩.

import Kernels
import Testing

@Suite struct TransposedConvolutionTests {
    @Test(arguments: convCases, [false, true])
    func matchesReference(_ c: ConvCase, accumulate: Bool) {
        let g = c.geometry
        let y = Buffer<Float>.random(g.columnRows * c.outputChannels, seed: 11)
        let w = Buffer<Float>.random(g.columnWidth * c.outputChannels, seed: 12)
        let fast = Buffer<Float>.random(g.inputCount, seed: 13)
        let reference = Buffer<Float>.random(g.inputCount, seed: 13)
        transposedConvolution(y.input, weights: w.input, into: fast.output, geometry: g,
                              outputChannels: c.outputChannels, accumulate: accumulate)
        transposedConvolutionReference(y.input, weights: w.input, into: reference.output, geometry: g,
                                       outputChannels: c.outputChannels, accumulate: accumulate)
        #expect(maxRelativeError(fast.array, reference.array) < 1e-5)
    }

    @Test(arguments: convCases)
    func isTheAdjointOfConvolution(_ c: ConvCase) {
        let g = c.geometry
        let x = Buffer<Float>.random(g.inputCount, seed: 14)
        let w = Buffer<Float>.random(g.columnWidth * c.outputChannels, seed: 15)
        let y = Buffer<Float>.random(g.columnRows * c.outputChannels, seed: 16)
        let convolved = Buffer<Float>(count: y.count)
        let transposed = Buffer<Float>(count: x.count)
        convolutionReference(x.input, weights: w.input, into: convolved.output, geometry: g, outputChannels: c.outputChannels)
        transposedConvolution(y.input, weights: w.input, into: transposed.output, geometry: g, outputChannels: c.outputChannels)
        #expect(nearlyEqual(dotDouble(convolved.array, y.array), dotDouble(x.array, transposed.array)))
    }

    /// PyTorch ConvTranspose2d(k4, s2, p1), 1 channel, all-ones weights: a 1×1 input of value 1
    /// spreads to the 2×2 centre of the kernel (rows/cols 1...2 of the 4×4 kernel land on the 2×2 output).
    @Test func singlePixelUpsampling() {
        let g = ConvGeometry(batch: 1, inputHeight: 2, inputWidth: 2, inputChannels: 1, kernelHeight: 4, kernelWidth: 4,
                             stride: 2, padding: .symmetric(1))
        #expect(g.outputHeight == 1)
        let y = Buffer<Float>([1])
        let w = Buffer<Float>((0..<16).map(Float.init))  // w[i, j] = 4i + j
        let x = Buffer<Float>(count: 4)
        transposedConvolution(y.input, weights: w.input, into: x.output, geometry: g, outputChannels: 1)
        #expect(x.array == [5, 6, 9, 10])  // taps (1,1), (1,2), (2,1), (2,2)
    }
}
