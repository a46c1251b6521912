// The forward product of a padded layer's interior region (every window inside the input), read
// straight from the input: no column matrix is built and no rows are scattered.
//
// In NHWC a window's kernel row i is one run of kw·cin floats, and the windows of neighbouring
// output positions along an output row start stride·cin floats apart. So six positions of an output
// row are a 6-row A panel read in place with row stride stride·cin, and kernel row i is depth pass i
// of the packed weights when `matmul`'s depth blocking cuts k = kh·kw·cin at kernel rows (W2's
// layer 2: k = 576 = 3 passes of 192). Each tile sums its depth steps in the order the region's
// product does; where that product also splits its passes into depth chunks (small groups) the
// chunks are added in another order, so results agree to rounding, and bit for bit otherwise.
//
//     for pass i (kernel row):  for 16-column panel j of W (two at once with AVX-512):  for each interior output row, six positions at a time:
//         y[6 positions, panel j] (+)= x[window rows i of the 6 positions] · Wpacked[pass i, panel j]

extension ConvGeometry {
    /// Whether `convolveInteriorInPlace` can compute `region`: it has every tap, its output rows split
    /// into whole 6-position panels, and the product's depth passes are the kernel rows.
    func readsInPlace(_ region: ConvRegion, outputChannels: Int) -> Bool {
        let plan = MatMulPlan(m: 1, n: outputChannels, k: columnWidth, transposeB: false)
        return region.columnWidth(channels: inputChannels) == columnWidth && region.columns.outputs.count % microRows == 0
            && plan.passes == kernelHeight && plan.depth == kernelWidth * inputChannels
    }
}

/// Images per block of `convolveInteriorInPlace`: four 14×14×64 inputs (200 KiB) stay in L2.
let interiorImagesPerBlock = 4

/// y[positions of `region`] (+ when `accumulate`)= conv(x, W) there, for the images of `g`, with W
/// packed (`weights.panels`, all of k). Requires `g.readsInPlace(region, outputChannels:)`.
/// - Complexity: O(images · region positions · k · cout) flops; 96 floats of scratch.
func convolveInteriorInPlace(_ x: UnsafePointer<Float>, weights: PackedB, region: ConvRegion, geometry g: ConvGeometry,
                             outputChannels cout: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
    precondition(g.readsInPlace(region, outputChannels: cout) && weights.k == g.columnWidth && weights.n == cout,
                 "convolveInteriorInPlace: the region or the weights do not fit")
    ProductProfile.measure(.init(m: g.batch * region.positions, n: cout, k: g.columnWidth, transposeA: false,
                                 transposeB: false, algorithm: "conv interior")) {
        convolveInteriorTiles(x, weights: weights, region: region, geometry: g, outputChannels: cout, into: y,
                              accumulate: accumulate)
    }
}

/// `convolveInteriorInPlace`'s tiles.
private func convolveInteriorTiles(_ x: UnsafePointer<Float>, weights: PackedB, region: ConvRegion, geometry g: ConvGeometry,
                                   outputChannels cout: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let panels = weights.panels!
    let depth = g.kernelWidth * g.inputChannels
    let rowStride = g.strideWidth * g.inputChannels
    let (inputRow, imageInput) = (g.inputWidth * g.inputChannels, g.imageInputCount)
    let imageOutput = g.outputHeight * g.outputWidth * cout
    let room = Scratch()
    defer { room.release() }
    let scratch = room.floats(microRows * microColumns)
    // A few images at a time: their inputs stay in L2 while each B micro-panel serves all their tiles.
    for first in stride(from: 0, to: g.batch, by: interiorImagesPerBlock) {
        for pass in 0..<g.kernelHeight {
            let addToC = accumulate || pass > 0
            var jr = 0
            while jr < ceilDiv(cout, microColumns) {
                let b = panels + jr * microColumns * weights.k + pass * depth * microColumns
                let columns = min(microColumns, cout - jr * microColumns)
                // Two whole panels at once where the build pairs them (AVX-512, MatMulPanelPair.swift).
                let pair = pairsColumnPanels && cout - jr * microColumns >= 2 * microColumns
                for image in first ..< min(g.batch, first + interiorImagesPerBlock) {
                    for oy in region.rows.outputs {
                        let windowRow = oy * g.strideHeight - g.padTop + pass
                        for ox in stride(from: region.columns.outputs.lowerBound, to: region.columns.outputs.upperBound,
                                         by: microRows) {
                            let a = x + image * imageInput + windowRow * inputRow
                                + (ox * g.strideWidth - g.padLeft) * g.inputChannels
                            let c = y + image * imageOutput + (oy * g.outputWidth + ox) * cout + jr * microColumns
                            if pair {
                                microKernelPair(depth: depth, a: a, layout: .rowMajor(rowStride: rowStride), b0: b,
                                                b1: b + microColumns * weights.k, ldb: microColumns, c: c, ldc: cout,
                                                addToC: addToC)
                            } else {
                                microTile(depth: depth, a: a, layout: .rowMajor(rowStride: rowStride), b: b,
                                          ldb: microColumns, c: c, ldc: cout, rows: microRows, columns: columns,
                                          addToC: addToC, scratch: scratch.baseAddress!)
                            }
                        }
                    }
                }
                jr += pair ? 2 : 1
            }
        }
    }
}
