// The grouped convolution kernels (forward, input gradient, weight gradient), each a sum of two terms,
// against sums of their direct references: with groups of one and of two images (a smaller last group
// when the batch is odd) and with the default budget, storing and accumulating; the weight gradient as the adjoint of the
// forward convolution in W; and more groups than weight-gradient slots, at any thread count.

@testable import Kernels
import Testing

@Suite struct ConvolutionTests {
    /// Images per group (1, 2, or 0 for the default budget), whole products or region by region.
    struct Split: Sendable, CustomTestStringConvertible {
        let groupImages: Int
        let byRegion: Bool
        var testDescription: String { "groups of \(groupImages == 0 ? "default" : "\(groupImages)"), by region \(byRegion)" }
    }

    static let budgets = [1, 2, 0].flatMap { images in [false, true].map { Split(groupImages: images, byRegion: $0) } }

    /// The column budget that gives groups of `images` images (0: the default budget).
    func columnBudget(_ c: ConvCase, images: Int) -> Int {
        let g = c.geometry
        return images == 0 ? convolutionColumnBudget : images * g.outputHeight * g.outputWidth * g.columnWidth
    }

    @Test(arguments: convCases, budgets)
    func forwardMatchesReference(_ c: ConvCase, split: Split) {
        let budget = columnBudget(c, images: split.groupImages)
        let g = c.geometry, cout = c.outputChannels
        let (x1, x2) = (Buffer<Float>.random(g.inputCount, seed: 21), Buffer<Float>.random(g.inputCount, seed: 22))
        let (w1, w2) = (Buffer<Float>.random(g.columnWidth * cout, seed: 23), Buffer<Float>.random(g.columnWidth * cout, seed: 24))
        for accumulate in [false, true] {
            let fast = Buffer<Float>.random(g.columnRows * cout, seed: 25)
            let reference = Buffer<Float>.random(g.columnRows * cout, seed: 25)
            convolution([(x1.input, w1.input), (x2.input, w2.input)], into: fast.output, geometry: g,
                        outputChannels: cout, accumulate: accumulate, columnBudget: budget, byRegion: split.byRegion)
            convolutionReference(x1.input, weights: w1.input, into: reference.output, geometry: g, outputChannels: cout,
                                 accumulate: accumulate)
            convolutionReference(x2.input, weights: w2.input, into: reference.output, geometry: g, outputChannels: cout,
                                 accumulate: true)
            #expect(maxRelativeError(fast.array, reference.array) < 1e-5, "accumulate \(accumulate)")
        }
    }

    @Test(arguments: convCases, budgets)
    func inputGradientMatchesReference(_ c: ConvCase, split: Split) {
        let budget = columnBudget(c, images: split.groupImages)
        let g = c.geometry, cout = c.outputChannels
        let (y1, y2) = (Buffer<Float>.random(g.columnRows * cout, seed: 31), Buffer<Float>.random(g.columnRows * cout, seed: 32))
        let (w1, w2) = (Buffer<Float>.random(g.columnWidth * cout, seed: 33), Buffer<Float>.random(g.columnWidth * cout, seed: 34))
        for accumulate in [false, true] {
            let fast = Buffer<Float>.random(g.inputCount, seed: 35)
            let reference = Buffer<Float>.random(g.inputCount, seed: 35)
            transposedConvolution([(y1.input, w1.input), (y2.input, w2.input)], into: fast.output, geometry: g,
                                  outputChannels: cout, accumulate: accumulate, columnBudget: budget, byRegion: split.byRegion)
            transposedConvolutionReference(y1.input, weights: w1.input, into: reference.output, geometry: g,
                                           outputChannels: cout, accumulate: accumulate)
            transposedConvolutionReference(y2.input, weights: w2.input, into: reference.output, geometry: g,
                                           outputChannels: cout, accumulate: true)
            #expect(maxRelativeError(fast.array, reference.array) < 1e-5, "accumulate \(accumulate)")
        }
    }

    @Test(arguments: convCases, budgets)
    func weightGradientMatchesReference(_ c: ConvCase, split: Split) {
        let budget = columnBudget(c, images: split.groupImages)
        let g = c.geometry, cout = c.outputChannels
        let (x1, x2) = (Buffer<Float>.random(g.inputCount, seed: 41), Buffer<Float>.random(g.inputCount, seed: 42))
        let (y1, y2) = (Buffer<Float>.random(g.columnRows * cout, seed: 43), Buffer<Float>.random(g.columnRows * cout, seed: 44))
        for accumulate in [false, true] {
            let fast = Buffer<Float>.random(g.columnWidth * cout, seed: 45)
            let reference = Buffer<Float>.random(g.columnWidth * cout, seed: 45)
            convolutionWeightGradient([(x1.input, y1.input), (x2.input, y2.input)], into: fast.output, geometry: g,
                                      outputChannels: cout, accumulate: accumulate, columnBudget: budget, byRegion: split.byRegion)
            convolutionWeightGradientReference(x1.input, outputGradient: y1.input, into: reference.output, geometry: g,
                                               outputChannels: cout, accumulate: accumulate)
            convolutionWeightGradientReference(x2.input, outputGradient: y2.input, into: reference.output, geometry: g,
                                               outputChannels: cout, accumulate: true)
            #expect(maxRelativeError(fast.array, reference.array) < 1e-5, "accumulate \(accumulate)")
        }
    }

    /// ⟨conv(x, W), ȳ⟩ = ⟨W, convW(x, ȳ)⟩
    @Test(arguments: convCases)
    func weightGradientIsTheAdjointInW(_ c: ConvCase) {
        let g = c.geometry, cout = c.outputChannels
        let x = Buffer<Float>.random(g.inputCount, seed: 51)
        let w = Buffer<Float>.random(g.columnWidth * cout, seed: 52)
        let y = Buffer<Float>.random(g.columnRows * cout, seed: 53)
        let convolved = Buffer<Float>(count: y.count)
        let gradient = Buffer<Float>(count: w.count)
        convolution(x.input, weights: w.input, into: convolved.output, geometry: g, outputChannels: cout)
        convolutionWeightGradient([(x.input, y.input)], into: gradient.output, geometry: g, outputChannels: cout,
                                  accumulate: false, columnBudget: 1)
        #expect(nearlyEqual(dotDouble(convolved.array, y.array), dotDouble(w.array, gradient.array)))
    }

    /// 20 one-image groups share 16 slots (slots 0–3 sum two groups each): the reference's result,
    /// with the same bits at 1, 2 and 3 threads, whole or by region.
    @Test(arguments: [false, true]) func moreGroupsThanSlots(byRegion: Bool) {
        let g = ConvGeometry(batch: 20, inputHeight: 6, inputWidth: 5, inputChannels: 3, kernelHeight: 3, kernelWidth: 3,
                             stride: 2, padding: .symmetric(1))
        let cout = 4
        let x = Buffer<Float>.random(g.inputCount, seed: 61)
        let y = Buffer<Float>.random(g.columnRows * cout, seed: 62)
        let reference = Buffer<Float>(count: g.columnWidth * cout)
        convolutionWeightGradientReference(x.input, outputGradient: y.input, into: reference.output, geometry: g,
                                           outputChannels: cout)
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            Parallelism.threads = threads
            let fast = Buffer<Float>(count: reference.count, value: .nan)
            convolutionWeightGradient([(x.input, y.input)], into: fast.output, geometry: g, outputChannels: cout,
                                      accumulate: false, columnBudget: 1, byRegion: byRegion)
            #expect(maxRelativeError(fast.array, reference.array) < 1e-5)
            results.append(fast.array.map(\.bitPattern))
        }
        #expect(results[0] == results[1] && results[0] == results[2])
    }
}
