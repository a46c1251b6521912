// The interior region's forward read in place (ConvolutionInterior.swift): which regions qualify,
// and the forward with it against the same forward building the interior's column matrix and
// against the reference, with one and two terms, accumulating, odd channel counts, several groups.

@testable import Kernels
import Testing

@Suite struct ConvolutionInteriorTests {
    func geometry(_ size: Int, channels: Int, batch: Int = 1, stride: Int = 2) -> ConvGeometry {
        ConvGeometry(batch: batch, inputHeight: size, inputWidth: size, inputChannels: channels, kernelHeight: 3,
                     kernelWidth: 3, stride: stride, padding: .symmetric(1))
    }

    /// The regions read in place: W2's layer 2 (14 → 7: a 6 × 6 interior, k = 576 in passes of 192).
    @Test func whichRegionsQualify() {
        let layer2 = geometry(14, channels: 64)
        let inPlace = layer2.regions.filter { layer2.readsInPlace($0, outputChannels: 64) }
        #expect(inPlace.count == 1 && inPlace[0].rows.outputs == 1..<7 && inPlace[0].columns.outputs == 1..<7)
        // Layer 3 (7 → 4): an interior two positions wide. 32 channels (k = 288): passes of 144, not kernel rows.
        let layer3 = geometry(7, channels: 64)
        #expect(!layer3.regions.contains { layer3.readsInPlace($0, outputChannels: 64) })
        let narrow = geometry(14, channels: 32)
        #expect(!narrow.regions.contains { narrow.readsInPlace($0, outputChannels: 64) })
        // Stride 1 on 8 × 8: interior columns 1–6.
        let stride1 = geometry(8, channels: 64, stride: 1)
        #expect(stride1.regions.filter { stride1.readsInPlace($0, outputChannels: 64) }.count == 1)
    }

    struct Case: Sendable, CustomStringConvertible {
        let batch, size, stride, outputChannels, terms: Int
        let accumulate: Bool
        let budget: Int
        var description: String {
            "\(batch) × \(size)² stride \(stride) → \(outputChannels), \(terms) term(s), accumulate \(accumulate), budget \(budget)"
        }
    }

    static let cases = [
        Case(batch: 30, size: 14, stride: 2, outputChannels: 64, terms: 1, accumulate: false, budget: convolutionColumnBudget),
        Case(batch: 5, size: 14, stride: 2, outputChannels: 40, terms: 2, accumulate: true, budget: convolutionColumnBudget),
        Case(batch: 7, size: 8, stride: 1, outputChannels: 17, terms: 1, accumulate: false, budget: 20_000),
        Case(batch: 9, size: 14, stride: 2, outputChannels: 64, terms: 2, accumulate: false, budget: 50_000),
    ]

    /// The same forward with the interior's columns built: the same bits when the region's product
    /// takes its depth passes in order (one group of 30 images), to rounding when it adds depth
    /// chunks (small groups); and the reference.
    @Test(arguments: cases)
    func matchesColumnPath(_ c: Case) {
        let g = geometry(c.size, channels: 64, batch: c.batch, stride: c.stride)
        let inputs = (0..<c.terms).map { Buffer<Float>.random(g.inputCount, seed: UInt64(200 + $0)) }
        let weights = (0..<c.terms).map { Buffer<Float>.random(g.columnWidth * c.outputChannels, seed: UInt64(300 + $0)) }
        let start = Buffer<Float>.random(g.columnRows * c.outputChannels, seed: 400)
        let terms = zip(inputs, weights).map { ($0.input, $1.input) }
        var results: [[Float]] = []
        for inPlace in [true, false] {
            let y = Buffer<Float>(start.array)
            convolution(terms, into: y.output, geometry: g, outputChannels: c.outputChannels, accumulate: c.accumulate,
                        columnBudget: c.budget, byRegion: true, interiorInPlace: inPlace)
            results.append(y.array)
        }
        let expected = Buffer<Float>(c.accumulate ? start.array : [Float](repeating: 0, count: start.count))
        for (x, w) in terms {
            convolutionReference(x, weights: w, into: expected.output, geometry: g, outputChannels: c.outputChannels,
                                 accumulate: true)
        }
        #expect(maxRelativeError(results[0], expected.array) < 1e-4)
        #expect(maxRelativeError(results[0], results[1]) < 1e-5)
        if c.batch == 30 { #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern)) }
    }
}
