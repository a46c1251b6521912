// The regions a padded convolution is cut into (ConvRegions.swift): bands worked out by hand, every
// output position in exactly one region with exactly its in-input taps, the padded share of W2's
// layers, which layers the policy splits, and the region im2col and col2im against the whole ones.

@testable import Kernels
import Testing

@Suite struct ConvRegionsTests {
    func geometry(_ size: Int, channels: Int = 64, batch: Int = 1, kernel: Int = 3, stride: Int = 2,
                  padding: Padding = .symmetric(1)) -> ConvGeometry {
        ConvGeometry(batch: batch, inputHeight: size, inputWidth: size, inputChannels: channels, kernelHeight: kernel,
                     kernelWidth: kernel, stride: stride, padding: padding)
    }

    /// 7 → 4 with k3 s2 p1: output 0 sees kernel rows 1–2, outputs 1–2 all three, output 3 rows 0–1.
    @Test func bandsOfAStrideTwoLayer() {
        let bands = ConvBand.along(size: 7, padding: 1, stride: 2, kernel: 3, outputs: 4)
        #expect(bands == [ConvBand(outputs: 0..<1, taps: 1..<3), ConvBand(outputs: 1..<3, taps: 0..<3),
                          ConvBand(outputs: 3..<4, taps: 0..<2)])
        #expect(ConvBand.along(size: 14, padding: 1, stride: 2, kernel: 3, outputs: 7)
                    == [ConvBand(outputs: 0..<1, taps: 1..<3), ConvBand(outputs: 1..<7, taps: 0..<3)])
        // A window wholly in the padding has no taps.
        #expect(ConvBand.along(size: 1, padding: 2, stride: 1, kernel: 2, outputs: 4)
                    == [ConvBand(outputs: 0..<1, taps: 2..<2), ConvBand(outputs: 1..<2, taps: 1..<2),
                        ConvBand(outputs: 2..<3, taps: 0..<1), ConvBand(outputs: 3..<4, taps: 0..<0)])
    }

    /// Each output position lies in one region, whose taps are exactly those of its window that are
    /// inside the input.
    @Test(arguments: convCases)
    func regionsCoverEachPositionOnceWithItsInsideTaps(_ c: ConvCase) {
        let g = c.geometry
        var seen = Array(repeating: 0, count: g.outputHeight * g.outputWidth)
        for region in g.regions {
            for oy in region.rows.outputs {
                for ox in region.columns.outputs {
                    seen[oy * g.outputWidth + ox] += 1
                    let insideRows = (0..<g.kernelHeight).filter { (0..<g.inputHeight).contains(oy * g.strideHeight - g.padTop + $0) }
                    let insideColumns = (0..<g.kernelWidth).filter { (0..<g.inputWidth).contains(ox * g.strideWidth - g.padLeft + $0) }
                    #expect(Array(region.rows.taps) == insideRows && Array(region.columns.taps) == insideColumns)
                }
            }
        }
        #expect(seen.allSatisfy { $0 == 1 })
    }

    /// W2's layers (28 → 14 → 7 → 4 → 2): 1 − (41/42)², 1 − (20/21)², then 1 − (5/6)² twice.
    @Test func paddedShareOfW2Layers() {
        let layers: [(size: Int, channels: Int)] = [(28, 1), (14, 64), (7, 64), (4, 64)]
        let expected: [Double] = [1 - 41.0 * 41 / (42 * 42), 1 - 20.0 * 20 / (21 * 21), 1 - 25.0 / 36, 1 - 25.0 / 36]
        for (layer, value) in zip(layers, expected) {
            let share = geometry(layer.size, channels: layer.channels).paddedProductShare
            #expect(abs(share - value) < 1e-12)
        }
        #expect(geometry(5, padding: .valid).paddedProductShare == 0)
    }

    /// The policy: W2's layers 2–4 on a 75-image query batch are split; layer 1 (9 inputs per
    /// window), an unpadded layer and a 2-image batch are not.
    @Test func whichLayersAreSplit() {
        #expect(geometry(7, batch: 75).splitsByRegion(images: 75))
        #expect(geometry(4, batch: 75).splitsByRegion(images: 75))
        #expect(!geometry(28, channels: 1, batch: 75).splitsByRegion(images: 75))
        #expect(!geometry(32, channels: 32, batch: 75, stride: 1).splitsByRegion(images: 75))  // 6 % padded
        #expect(geometry(14, batch: 75).splitsByRegion(images: 9))
        #expect(!geometry(7, batch: 75, padding: .valid).splitsByRegion(images: 75))
        #expect(!geometry(4, batch: 2).splitsByRegion(images: 2))
        // The autodiff derivative case "conv2D-pad1-by-region".
        #expect(geometry(4, channels: 8, batch: 9, stride: 1).splitsByRegion(images: 9))
    }

    /// The regions' columns are the whole im2col's entries at the region's rows and in-input taps.
    @Test(arguments: convCases)
    func regionColumnsAreTheWholeColumnsWithoutPadding(_ c: ConvCase) {
        let g = c.geometry
        guard g.inputCount > 0 else { return }
        let x = Buffer<Float>.random(g.inputCount, seed: 71)
        let whole = Buffer<Float>(count: g.columnRows * g.columnWidth)
        im2col(x.input, into: whole.output, geometry: g)
        for region in g.regions {
            let width = region.columnWidth(channels: g.inputChannels)
            let rows = g.batch * region.positions
            let columns = Buffer<Float>(count: rows * width, value: .nan)
            im2col(x.input.baseAddress!, into: columns.output.baseAddress!, geometry: g, region: region)
            var row = 0
            for b in 0..<g.batch {
                for oy in region.rows.outputs {
                    for ox in region.columns.outputs {
                        let wholeRow = (b * g.outputHeight + oy) * g.outputWidth + ox
                        var column = 0
                        for i in region.rows.taps {
                            for j in region.columns.taps {
                                for ch in 0..<g.inputChannels {
                                    let entry = ((i * g.kernelWidth + j) * g.inputChannels + ch)
                                    #expect(columns.array[row * width + column] == whole.array[wholeRow * g.columnWidth + entry])
                                    column += 1
                                }
                            }
                        }
                        row += 1
                    }
                }
            }
        }
    }

    /// col2im over all regions' columns in one buffer has the bits of the whole col2im, given the
    /// whole columns' entries at the regions' rows and taps (padded entries reach no input).
    @Test(arguments: convCases)
    func regionCol2imIsTheWholeCol2im(_ c: ConvCase) {
        let g = c.geometry
        guard g.inputCount > 0 else { return }
        let whole = Buffer<Float>.random(g.columnRows * g.columnWidth, seed: 73)
        let layout = RegionColumnLayout(g)
        #expect(layout.total == g.batch * g.allRegionColumns)
        let columns = Buffer<Float>(count: layout.total, value: .nan)
        for b in 0..<g.batch {
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    let wholeRow = (b * g.outputHeight + oy) * g.outputWidth + ox
                    for i in 0..<g.kernelHeight where (0..<g.inputHeight).contains(oy * g.strideHeight - g.padTop + i) {
                        for j in 0..<g.kernelWidth where (0..<g.inputWidth).contains(ox * g.strideWidth - g.padLeft + j) {
                            let offset = layout.entry(b: b, oy: oy, ox: ox, i: i, j: j, channels: g.inputChannels)
                            for ch in 0..<g.inputChannels {
                                columns.output[offset + ch] = whole.array[wholeRow * g.columnWidth + (i * g.kernelWidth + j) * g.inputChannels + ch]
                            }
                        }
                    }
                }
            }
        }
        #expect(!columns.array.contains { $0.isNaN }, "every region entry is some window's in-input tap")
        for accumulate in [false, true] {
            let expected = Buffer<Float>.random(g.inputCount, seed: 74)
            let fast = Buffer<Float>.random(g.inputCount, seed: 74)
            col2im(whole.input, into: expected.output, geometry: g, accumulate: accumulate)
            col2im(regionColumns: columns.input.baseAddress!, layout: layout, into: fast.output.baseAddress!, geometry: g,
                   accumulate: accumulate)
            let sameBits = fast.array.map(\.bitPattern) == expected.array.map(\.bitPattern)
            #expect(sameBits, "accumulate \(accumulate): max relative error \(maxRelativeError(fast.array, expected.array))")
        }
    }
}
