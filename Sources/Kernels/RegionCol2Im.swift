// col2im over the regions of a padded convolution (ConvRegions.swift), when every region's column
// matrix sits in one buffer: each input position gathers the entries of the windows that cover it
// and is written once, as in col2im (Col2Im.swift), instead of being zeroed and then added to.

/// Where each region's column matrix starts in a buffer holding all of them, for a batch of images.
struct RegionColumnLayout {
    /// offsets[r]: the first float of region r's columns [b·positions, width].
    let offsets: [Int]
    /// Floats of all the regions' columns.
    let total: Int
    /// For each output position (oy·wo + ox), where its entries are (see `entry`).
    private let places: [Place]
    private let outputWidth: Int

    /// An output position's entry for tap (i, j) of image b is at
    /// first + b·imageStride + ((i − firstRow)·tapColumns + j − firstColumn)·channels.
    private struct Place {
        let first: Int, imageStride: Int
        let firstRow: Int, firstColumn: Int, tapColumns: Int
    }

    init(_ g: ConvGeometry) {
        outputWidth = g.outputWidth
        var offsets: [Int] = []
        var next = 0
        var places = Array(repeating: Place(first: 0, imageStride: 0, firstRow: 0, firstColumn: 0, tapColumns: 0),
                           count: g.outputHeight * g.outputWidth)
        for region in g.regions {
            offsets.append(next)
            let (rows, columns) = (region.rows, region.columns)
            let width = region.columnWidth(channels: g.inputChannels)
            for oy in rows.outputs {
                for ox in columns.outputs {
                    let row = (oy - rows.outputs.lowerBound) * columns.outputs.count + ox - columns.outputs.lowerBound
                    places[oy * g.outputWidth + ox] = Place(first: next + row * width, imageStride: region.positions * width,
                                                            firstRow: rows.taps.lowerBound, firstColumn: columns.taps.lowerBound,
                                                            tapColumns: columns.taps.count)
                }
            }
            next += g.batch * region.positions * width
        }
        (self.offsets, total, self.places) = (offsets, next, places)
    }

    /// The offset of the entry of image b, output (oy, ox), tap (i, j), channel 0 (the tap must be inside the input).
    @inline(__always)
    func entry(b: Int, oy: Int, ox: Int, i: Int, j: Int, channels: Int) -> Int {
        let place = places[oy * outputWidth + ox]
        return place.first + b * place.imageStride + ((i - place.firstRow) * place.tapColumns + j - place.firstColumn) * channels
    }
}

extension ConvGeometry {
    /// Floats of one image's region column matrices together.
    var allRegionColumns: Int {
        regions.reduce(0) { $0 + $1.positions * $1.columnWidth(channels: inputChannels) }
    }
}

/// x [b, H, W, c] (+)= Σ_regions col2im_r(cols): every input position sums the entries of its covering
/// windows in the order (oy, ox) ascending, as `col2im` does, and is written once. Which output
/// columns cover each input column is tabulated once, as in `col2im`.
/// - Complexity: O(b·ho·wo·(taps inside)·c).
func col2im(regionColumns cols: UnsafePointer<Float>, layout: RegionColumnLayout, into x: UnsafeMutablePointer<Float>,
            geometry g: ConvGeometry, accumulate: Bool) {
    let c = g.inputChannels
    let (kh, kw, sy, sx) = (g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth)
    let coveringColumns = (0..<g.inputWidth).map {
        coveringOutputs($0, padding: g.padLeft, stride: sx, kernel: kw, outputs: g.outputWidth)
    }
    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: kh * kw) { entries in
        var target = x
        for b in 0..<g.batch {
            for iy in 0..<g.inputHeight {
                let rows = coveringOutputs(iy, padding: g.padTop, stride: sy, kernel: kh, outputs: g.outputHeight)
                for ix in 0..<g.inputWidth {
                    let columns = coveringColumns[ix]
                    var count = 0
                    for oy in rows {
                        for ox in columns {
                            let offset = layout.entry(b: b, oy: oy, ox: ox, i: iy + g.padTop - oy * sy,
                                                      j: ix + g.padLeft - ox * sx, channels: c)
                            entries[count] = cols + offset
                            count += 1
                        }
                    }
                    let list = UnsafeBufferPointer(rebasing: entries[0..<count])
                    sumChannels(into: target, channels: c, accumulate: accumulate) { channel, body in
                        for entry in list { body(entry + channel) }
                    }
                    target += c
                }
            }
        }
    }
}
