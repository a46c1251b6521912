// A padded convolution cut into regions of output positions whose windows cover the same taps of
// the input. With padding 1, a 3×3 stride-2 layer from 7×7 to 4×4 multiplies padding zeros in 31 % of
// its im2col products (the border rows and columns of the output see 2 of 3 kernel rows or columns).
// A region's column matrix holds only its windows' taps that lie inside the input, so its product
// skips those zeros. ConvolutionByRegion.swift builds the three convolution products on these.
//
//     output rows  0 | 1 2 | 3          kernel rows 1–2 | 0–2 | 0–1      (7 → 4, k3 s2 p1)
//     output cols  0 | 1 2 | 3          kernel cols 1–2 | 0–2 | 0–1      → 3 × 3 = 9 regions

/// Consecutive output positions along one axis whose windows cover the same kernel taps inside the input.
struct ConvBand: Equatable {
    /// Output positions o.
    let outputs: Range<Int>
    /// Kernel taps t with 0 ≤ o·stride − padding + t < size for every o here (may be empty).
    let taps: Range<Int>

    /// The bands of one axis, in order: positions with equal tap ranges run together.
    /// - Complexity: O(outputs).
    static func along(size: Int, padding: Int, stride: Int, kernel: Int, outputs: Int) -> [ConvBand] {
        var bands: [ConvBand] = []
        for o in 0..<outputs {
            let start = o * stride - padding
            let first = min(kernel, max(0, -start))
            let taps = first ..< max(first, min(kernel, size - start))
            if let last = bands.last, last.taps == taps {
                bands[bands.count - 1] = ConvBand(outputs: last.outputs.lowerBound ..< o + 1, taps: taps)
            } else {
                bands.append(ConvBand(outputs: o ..< o + 1, taps: taps))
            }
        }
        return bands
    }
}

/// A rectangle of output positions (rows × columns bands) with the taps all of them cover.
struct ConvRegion {
    let rows: ConvBand
    let columns: ConvBand

    /// Output positions of one image in the region.
    var positions: Int { rows.outputs.count * columns.outputs.count }

    /// Width of the region's column matrix: its taps times the input channels.
    func columnWidth(channels: Int) -> Int { rows.taps.count * columns.taps.count * channels }

    /// The rows of the weights [kh·kw·cin, cout] that meet the region's columns, in column order:
    /// one run of columns.taps.count·cin rows per kernel row.
    func weightRows(kernelWidth: Int, channels: Int) -> [Range<Int>] {
        rows.taps.map { i in
            (i * kernelWidth + columns.taps.lowerBound) * channels ..< (i * kernelWidth + columns.taps.upperBound) * channels
        }
    }
}

extension ConvRegion {
    /// `weightRows` as one range when the region covers whole kernel rows (or one kernel row).
    func contiguousWeightRows(kernelWidth: Int, channels: Int) -> Range<Int>? {
        guard let firstRow = rows.taps.first, let lastRow = rows.taps.last else { return 0..<0 }
        guard rows.taps.count == 1 || columns.taps == 0..<kernelWidth else { return nil }
        return (firstRow * kernelWidth + columns.taps.lowerBound) * channels
            ..< (lastRow * kernelWidth + columns.taps.upperBound) * channels
    }
}

extension ConvGeometry {
    /// The regions of this geometry, rows of bands then columns: one region when there is no padding
    /// in the way.
    var regions: [ConvRegion] {
        let rowBands = ConvBand.along(size: inputHeight, padding: padTop, stride: strideHeight, kernel: kernelHeight,
                                      outputs: outputHeight)
        let columnBands = ConvBand.along(size: inputWidth, padding: padLeft, stride: strideWidth, kernel: kernelWidth,
                                         outputs: outputWidth)
        return rowBands.flatMap { r in columnBands.map { c in ConvRegion(rows: r, columns: c) } }
    }

    /// Floats of one image's largest region column matrix.
    var largestRegionColumns: Int {
        regions.map { $0.positions * $0.columnWidth(channels: inputChannels) }.max() ?? 0
    }

    /// The share of im2col products that multiply padding zeros: 1 − Σ regions' products / all products.
    var paddedProductShare: Double {
        let all = outputHeight * outputWidth * kernelHeight * kernelWidth
        guard all > 0 else { return 0 }
        let inside = regions.reduce(0) { $0 + $1.positions * $1.rows.taps.count * $1.columns.taps.count }
        return 1 - Double(inside) / Double(all)
    }
}

// MARK: - Region kernels (x is a batch of images [b, H, W, cin]; region rows are (b, oy, ox) ascending)

/// cols [b·positions, region width] = the region's part of im2col(x): row (b, oy, ox), column
/// (i, j, channel) for the region's taps i, j, all inside the input.
/// - Complexity: O(b·positions·width) copies.
func im2col(_ x: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>, geometry g: ConvGeometry,
            region: ConvRegion) {
    let run = region.columns.taps.count * g.inputChannels
    var target = cols
    forEachWindowRun(g, region) { offset in
        copyFloats(from: x + offset, to: target, count: run)
        target += run
    }
}

/// Calls `body` with the input offset of each window run of the region, in column-matrix order:
/// images, output rows, output columns, then kernel rows of the region's taps.
@inline(__always)
private func forEachWindowRun(_ g: ConvGeometry, _ region: ConvRegion, _ body: (Int) -> Void) {
    let c = g.inputChannels
    let rowFloats = g.inputWidth * c
    for b in 0..<g.batch {
        let image = b * g.inputHeight * rowFloats
        for oy in region.rows.outputs {
            let top = oy * g.strideHeight - g.padTop
            for ox in region.columns.outputs {
                let left = (ox * g.strideWidth - g.padLeft + region.columns.taps.lowerBound) * c
                for i in region.rows.taps { body(image + (top + i) * rowFloats + left) }
            }
        }
    }
}

/// compact [b·positions, width] = the region's rows of y [b, ho, wo, width].
/// - Complexity: O(b·positions·width) copies.
func gatherRegionRows(_ region: ConvRegion, of g: ConvGeometry, width: Int, from y: UnsafePointer<Float>,
                      into compact: UnsafeMutablePointer<Float>) {
    forEachRegionRowRun(region, g, width) { offset, packed, count in
        copyFloats(from: y + offset, to: compact + packed, count: count)
    }
}

/// y's rows of the region (+)= compact [b·positions, width]: the inverse of `gatherRegionRows`.
/// - Complexity: O(b·positions·width) copies.
func scatterRegionRows(_ region: ConvRegion, of g: ConvGeometry, width: Int, from compact: UnsafePointer<Float>,
                       into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
    forEachRegionRowRun(region, g, width) { offset, packed, count in
        if accumulate {
            addFloats(from: compact + packed, to: y + offset, count: count)
        } else {
            copyFloats(from: compact + packed, to: y + offset, count: count)
        }
    }
}

/// Calls `body(offset in y, offset in compact, count)` for each output row's run of the region.
@inline(__always)
private func forEachRegionRowRun(_ region: ConvRegion, _ g: ConvGeometry, _ width: Int,
                                 _ body: (Int, Int, Int) -> Void) {
    let count = region.columns.outputs.count * width
    var packed = 0
    for b in 0..<g.batch {
        for oy in region.rows.outputs {
            body(((b * g.outputHeight + oy) * g.outputWidth + region.columns.outputs.lowerBound) * width, packed, count)
            packed += count
        }
    }
}

/// The region's weights [width, cout]: rows `weightRows` of w [kh·kw·cin, cout] one after another.
func gatherRegionWeights(_ w: UnsafePointer<Float>, _ region: ConvRegion, of g: ConvGeometry, outputChannels: Int,
                         into target: UnsafeMutablePointer<Float>) {
    var next = target
    for rows in region.weightRows(kernelWidth: g.kernelWidth, channels: g.inputChannels) {
        copyFloats(from: w + rows.lowerBound * outputChannels, to: next, count: rows.count * outputChannels)
        next += rows.count * outputChannels
    }
}

/// w̄'s rows `weightRows` += the region's weight gradient [width, cout], in row order.
func addRegionWeights(_ source: UnsafePointer<Float>, _ region: ConvRegion, of g: ConvGeometry, outputChannels: Int,
                      into w: UnsafeMutablePointer<Float>) {
    var next = source
    for rows in region.weightRows(kernelWidth: g.kernelWidth, channels: g.inputChannels) {
        addFloats(from: next, to: w + rows.lowerBound * outputChannels, count: rows.count * outputChannels)
        next += rows.count * outputChannels
    }
}
