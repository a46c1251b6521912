// im2col / col2im against their references, the adjoint identity between them, and
// im2col followed by a matrix product (and `convolution`) against the direct convolution.

import Kernels
import Testing

@Suite struct Im2ColTests {
    @Test(arguments: convCases)
    func im2colMatchesReference(_ c: ConvCase) {
        let g = c.geometry
        let x = Buffer<Float>.random(g.inputCount, seed: 1)
        let fast = Buffer<Float>(count: g.columnRows * g.columnWidth, value: .nan)
        let reference = Buffer<Float>(count: g.columnRows * g.columnWidth, value: .nan)
        im2col(x.input, into: fast.output, geometry: g)
        im2colReference(x.input, into: reference.output, geometry: g)
        #expect(fast.array == reference.array)
    }

    @Test(arguments: convCases, [false, true])
    func col2imMatchesReference(_ c: ConvCase, accumulate: Bool) {
        let g = c.geometry
        let cols = Buffer<Float>.random(g.columnRows * g.columnWidth, seed: 2)
        let fast = Buffer<Float>.random(g.inputCount, seed: 3)
        let reference = Buffer<Float>.random(g.inputCount, seed: 3)
        col2im(cols.input, into: fast.output, geometry: g, accumulate: accumulate)
        col2imReference(cols.input, into: reference.output, geometry: g, accumulate: accumulate)
        // The same additions in the same order: the same bits.
        #expect(fast.array.map(\.bitPattern) == reference.array.map(\.bitPattern))
    }

    /// Wide channels take the gather's 32- and 8-channel blocks and its scalar tail (41 = 32 + 8 + 1).
    @Test(arguments: [
        ConvCase(2, 6, 5, 41, k: 3, s: 1, .same, cout: 1),
        ConvCase(1, 7, 7, 32, k: 3, s: 2, .symmetric(1), cout: 1),
        ConvCase(1, 4, 6, 24, k: 4, s: 2, .symmetric(1), cout: 1),
        ConvCase(1, 9, 8, 40, k: 2, s: 3, .valid, cout: 1),
    ], [false, true])
    func col2imMatchesReferenceOnWideChannels(_ c: ConvCase, accumulate: Bool) {
        col2imMatchesReference(c, accumulate: accumulate)
    }

    /// ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩
    @Test(arguments: convCases)
    func col2imIsTheAdjointOfIm2col(_ c: ConvCase) {
        let g = c.geometry
        let x = Buffer<Float>.random(g.inputCount, seed: 4)
        let y = Buffer<Float>.random(g.columnRows * g.columnWidth, seed: 5)
        let columns = Buffer<Float>(count: y.count)
        let back = Buffer<Float>(count: x.count)
        im2col(x.input, into: columns.output, geometry: g)
        col2im(y.input, into: back.output, geometry: g)
        #expect(nearlyEqual(dotDouble(columns.array, y.array), dotDouble(x.array, back.array)))
    }

    /// im2col → [rows, kh·kw·cin] · W [kh·kw·cin, cout] equals the direct convolution.
    @Test(arguments: convCases)
    func im2colThenMatrixProductIsConvolution(_ c: ConvCase) {
        let g = c.geometry
        let x = Buffer<Float>.random(g.inputCount, seed: 6)
        let w = Buffer<Float>.random(g.columnWidth * c.outputChannels, seed: 7)
        let columns = Buffer<Float>(count: g.columnRows * g.columnWidth)
        im2col(x.input, into: columns.output, geometry: g)
        let viaColumns = Buffer<Float>(count: g.columnRows * c.outputChannels, value: .nan)
        matmul(columns.input, w.input, into: viaColumns.output, m: g.columnRows, n: c.outputChannels, k: g.columnWidth)
        let direct = Buffer<Float>(count: g.columnRows * c.outputChannels, value: .nan)
        convolutionReference(x.input, weights: w.input, into: direct.output, geometry: g, outputChannels: c.outputChannels)
        #expect(maxRelativeError(viaColumns.array, direct.array) < 1e-5)
        // The same with plain loops, so a GEMM bug cannot hide an im2col bug.
        let plain = plainMatMul(columns.array, w.array, m: g.columnRows, n: c.outputChannels, k: g.columnWidth)
        #expect(maxRelativeError(plain, direct.array) < 1e-5)
    }

    @Test(arguments: convCases, [false, true])
    func convolutionMatchesReference(_ c: ConvCase, accumulate: Bool) {
        let g = c.geometry
        let x = Buffer<Float>.random(g.inputCount, seed: 8)
        let w = Buffer<Float>.random(g.columnWidth * c.outputChannels, seed: 9)
        let fast = Buffer<Float>.random(g.columnRows * c.outputChannels, seed: 10)
        let reference = Buffer<Float>.random(g.columnRows * c.outputChannels, seed: 10)
        convolution(x.input, weights: w.input, into: fast.output, geometry: g, outputChannels: c.outputChannels, accumulate: accumulate)
        convolutionReference(x.input, weights: w.input, into: reference.output, geometry: g, outputChannels: c.outputChannels,
                             accumulate: accumulate)
        #expect(maxRelativeError(fast.array, reference.array) < 1e-5)
    }

    /// Layer-1 shapes (runs of kw·c = 3 and 9 floats, copied as whole vectors that spill onto the
    /// next positions; interior columns in one tight loop) cut into several parallel chunks: the
    /// reference's bits at 1, 2 and 3 threads. Padding 0 takes the interior to the last column, so
    /// the vectors of a chunk's last row and of the input's last rows meet their ends.
    @Test(arguments: [(1, 2, 1), (3, 1, 1), (3, 1, 0), (2, 2, 0)])
    func shortRunsAcrossChunks(channels: Int, stride: Int, padding: Int) {
        let g = ConvGeometry(batch: 45, inputHeight: 28, inputWidth: 28, inputChannels: channels, kernelHeight: 3,
                             kernelWidth: 3, stride: stride, padding: .symmetric(padding))
        #expect(g.batch * g.outputHeight > 65536 / (g.outputWidth * g.columnWidth))  // more than one chunk
        let x = Buffer<Float>.random(g.inputCount, seed: 17)
        let reference = Buffer<Float>(count: g.columnRows * g.columnWidth, value: .nan)
        im2colReference(x.input, into: reference.output, geometry: g)
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            let fast = Buffer<Float>(count: reference.count, value: .nan)
            im2col(x.input, into: fast.output, geometry: g)
            #expect(fast.array.map(\.bitPattern) == reference.array.map(\.bitPattern), "\(threads) threads")
        }
    }

    /// A hand-checked 3×3 input, 2×2 kernel, padding 1 on top/left only: the first row of the
    /// column matrix is the window at (−1, −1): three zeros, then x[0, 0].
    @Test func im2colKnownValues() {
        let g = ConvGeometry(batch: 1, inputHeight: 3, inputWidth: 3, inputChannels: 1, kernelHeight: 2, kernelWidth: 2,
                             stride: 2, padding: .explicit(top: 1, bottom: 0, left: 1, right: 0))
        #expect(g.outputHeight == 2 && g.outputWidth == 2)
        let x = Buffer<Float>((1...9).map(Float.init))
        let cols = Buffer<Float>(count: 16)
        im2col(x.input, into: cols.output, geometry: g)
        #expect(cols.array == [0, 0, 0, 1, 0, 0, 2, 3, 0, 4, 0, 7, 5, 6, 8, 9])
    }
}
