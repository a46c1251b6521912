// The parallel kernels give bit-identical results for any thread count: their work split depends only
// on the sizes. Sets the global Parallelism.threads, so the suite runs its tests one at a time.

@testable import Kernels
import Testing

@Suite(.serialized) struct DeterminismTests {
    /// Runs `body` with 1, 2 and 3 threads and expects the same bits each time.
    func expectSameForAnyThreadCount(_ body: () -> [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            results.append(body().map(\.bitPattern))
        }
        #expect(results[0] == results[1] && results[0] == results[2], sourceLocation: sourceLocation)
    }

    @Test func reductions() {
        let x = Buffer<Float>.random(300_001, seed: 131)
        expectSameForAnyThreadCount { [sum(x.input), dot(x.input, x.input)] }
        let y = Buffer<Float>(count: 2 * 9)
        expectSameForAnyThreadCount {
            sumAxis(UnsafeBufferPointer(rebasing: x.input[0..<90_000]), into: y.output, outer: 2, axis: 5000, inner: 9)
            return y.array
        }
    }

    @Test func batchNormAndSoftmax() {
        let x = Buffer<Float>.random(20_000 * 8, seed: 132)
        let offset = Buffer<Float>(count: 8)
        let (y, mean, inverseStd) = (Buffer<Float>(count: x.count), Buffer<Float>(count: 8), Buffer<Float>(count: 8))
        expectSameForAnyThreadCount {
            batchNormalize(x.input, offset: offset.input, scale: nil, into: y.output, mean: mean.output,
                           inverseStd: inverseStd.output, rows: 20_000, channels: 8, epsilon: 1e-5)
            return y.array + mean.array + inverseStd.array
        }
        expectSameForAnyThreadCount {
            softmaxRows(x.input, into: y.output, rows: 16_000, cols: 10)
            return y.array
        }
    }

    @Test func patchBatchNorm() {
        // W2's first layer on a task's 75 query images: several forward chunks and depth chunks.
        let g = ConvGeometry(batch: 75, inputHeight: 28, inputWidth: 28, inputChannels: 1, kernelHeight: 3, kernelWidth: 3,
                             stride: 2, padding: .symmetric(1))
        let (rows, cout) = (g.columnRows, 64)
        let x = Buffer<Float>.random(g.inputCount, seed: 141, in: 0...1)
        let w = Buffer<Float>.random(10 * cout, seed: 142)
        let gradient = Buffer<Float>.random(rows * cout, seed: 144)
        let (out, patches, gram) = (Buffer<Float>(count: rows * cout), Buffer<Float>(count: rows * 10), Buffer<Float>(count: 81))
        let moments = Buffer<Float>(count: 10 * cout)
        expectSameForAnyThreadCount {
            patchMoments(x.input, geometry: g, patches: patches.output, gram: gram.output)
            patchProduct(patches.input, weights: w.input, rows: rows, outputChannels: cout, into: out.output)
            patchMaskedMoments(gradient.input, mask: out.input, patches: patches.input, rows: rows, outputChannels: cout,
                               into: moments.output)
            return out.array + patches.array + gram.array + moments.array
        }
    }

    @Test func convolutions() {
        let g = ConvGeometry(batch: 16, inputHeight: 14, inputWidth: 14, inputChannels: 8, kernelHeight: 4, kernelWidth: 4,
                             stride: 2, padding: .symmetric(1))
        let y = Buffer<Float>.random(g.columnRows * 5, seed: 133)
        let w = Buffer<Float>.random(g.columnWidth * 5, seed: 134)
        let x = Buffer<Float>(count: g.inputCount)
        expectSameForAnyThreadCount {
            transposedConvolution(y.input, weights: w.input, into: x.output, geometry: g, outputChannels: 5)
            return x.array
        }
    }

    /// W2's layer 3 on a query batch, which the kernels compute region by region (ConvRegions.swift).
    @Test func convolutionsByRegion() {
        let g = ConvGeometry(batch: 75, inputHeight: 7, inputWidth: 7, inputChannels: 64, kernelHeight: 3, kernelWidth: 3,
                             stride: 2, padding: .symmetric(1))
        #expect(g.splitsByRegion(images: 28))
        let x = Buffer<Float>.random(g.inputCount, seed: 135)
        let w = Buffer<Float>.random(g.columnWidth * 64, seed: 136)
        let y = Buffer<Float>.random(g.columnRows * 64, seed: 137)
        let (out, xGradient, wGradient) = (Buffer<Float>(count: y.count), Buffer<Float>(count: x.count), Buffer<Float>(count: w.count))
        expectSameForAnyThreadCount {
            convolution(x.input, weights: w.input, into: out.output, geometry: g, outputChannels: 64)
            transposedConvolution(y.input, weights: w.input, into: xGradient.output, geometry: g, outputChannels: 64)
            convolutionWeightGradient([(x.input, y.input)], into: wGradient.output, geometry: g, outputChannels: 64)
            return out.array + xGradient.array + wGradient.array
        }
    }
}
