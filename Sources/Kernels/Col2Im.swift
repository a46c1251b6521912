// col2im, the adjoint of im2col: every input position sums the column entries that copied it.

/// x [b, H, W, c] (+)= col2im(cols), cols [b·ho·wo, kh·kw·c]: so ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩.
///
///     x[b, iy, ix, ch] (+)= Σ_{oy, ox} cols[(b, oy, ox), (i·kw + j)·c + ch],  i = iy + padTop − oy·sy,
///                                                                           j = ix + padLeft − ox·sx
///
/// over the output positions whose window covers (iy, ix) (0 ≤ i < kh, 0 ≤ j < kw), in the order
/// (oy, ox) ascending: the reference's order, so the results have its bits. Each position is
/// gathered in registers and written once, eight channels at a time; images run in parallel.
/// - Complexity: O(b·ho·wo·kh·kw·c) time; a table of W ranges on the stack.
public func col2im(
    _ cols: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry,
    accumulate: Bool = false
) {
    let g = geometry
    checkColumnSizes("col2im", g, inputCount: x.count, columnsCount: cols.count)
    guard x.count > 0, let px = x.baseAddress else { return }
    guard cols.count > 0, let pc = cols.baseAddress else {
        if !accumulate { px.update(repeating: 0, count: x.count) }
        return
    }
    nonisolated(unsafe) let (sx, sc) = (px, pc)
    let c = g.inputChannels
    let imageColumns = g.outputHeight * g.outputWidth * g.columnWidth
    let imageSize = g.inputHeight * g.inputWidth * c
    // From one covering output position to the next: ox + 1 moves one column row on and the tap
    // sx columns back; oy + 1 moves one output row on and the tap sy kernel rows back.
    let nextColumn = g.columnWidth - g.strideWidth * c
    let nextRow = g.outputWidth * g.columnWidth - g.strideHeight * g.kernelWidth * c
    // Which output columns cover each input column: the same for every row and image.
    withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: g.inputWidth) { table in
        for ix in 0..<g.inputWidth {
            table.initializeElement(at: ix, to: coveringOutputs(ix, padding: g.padLeft, stride: g.strideWidth,
                                                                kernel: g.kernelWidth, outputs: g.outputWidth))
        }
        nonisolated(unsafe) let coveringColumns = UnsafeBufferPointer(table)
        forEachChunk(g.batch, chunkSize: max(1, 65536 / max(1, imageColumns))) { range in
            for b in range {
                let source = sc + b * imageColumns
                var target = sx + b * imageSize
                for iy in 0..<g.inputHeight {
                    let rows = coveringOutputs(iy, padding: g.padTop, stride: g.strideHeight, kernel: g.kernelHeight,
                                               outputs: g.outputHeight)
                    let i = iy + g.padTop - rows.lowerBound * g.strideHeight  // kernel row of the first covering row
                    let rowStart = source + rows.lowerBound * g.outputWidth * g.columnWidth + i * g.kernelWidth * c
                    for ix in 0..<g.inputWidth {
                        let columns = coveringColumns[ix]
                        let j = ix + g.padLeft - columns.lowerBound * g.strideWidth
                        // The entry of the first covering position (rows.lowerBound, columns.lowerBound).
                        let first = rowStart + columns.lowerBound * g.columnWidth + j * c
                        let covering = Covering(first: first, rows: rows.count, columns: columns.count,
                                                nextColumn: nextColumn, nextRow: nextRow)
                        covering.sum(into: target, channels: c, accumulate: accumulate)
                        target += c
                    }
                }
            }
        }
    }
}

/// The output positions o (0 ≤ o < outputs) whose window, starting at o·stride − padding, covers
/// input position `index`: 0 ≤ index + padding − o·stride < kernel.
@inline(__always)
func coveringOutputs(_ index: Int, padding: Int, stride: Int, kernel: Int, outputs: Int) -> Range<Int> {
    let shifted = index + padding
    let lowest = shifted - kernel + 1 <= 0 ? 0 : (shifted - kernel + stride) / stride
    let highest = min(outputs - 1, shifted / stride)
    return lowest ..< max(lowest, highest + 1)
}

/// The column entries that copied one input position: `rows` × `columns` of them, the first at
/// `first`, the next one in a row `nextColumn` floats on, the next row `nextRow` floats on.
private struct Covering {
    let first: UnsafePointer<Float>
    let rows: Int, columns: Int
    let nextColumn: Int, nextRow: Int

    /// target[0..<channels] = (accumulate ? target : 0) + Σ entries, in order.
    @inline(__always)
    func sum(into target: UnsafeMutablePointer<Float>, channels: Int, accumulate: Bool) {
        sumChannels(into: target, channels: channels, accumulate: accumulate, forEachEntry)
    }

    /// Calls `body` with each entry's address at `channel`, rows then columns ascending.
    @inline(__always)
    func forEachEntry(_ channel: Int, _ body: (UnsafePointer<Float>) -> Void) {
        var row = first + channel
        for _ in 0..<rows {
            var entry = row
            for _ in 0..<columns {
                body(entry)
                entry += nextColumn
            }
            row += nextRow
        }
    }
}

/// target[0..<channels] = (accumulate ? target : 0) + Σ entries, in the order `forEachEntry(channel, body)`
/// calls `body` with each entry's address at `channel`: 32 channels in four registers, then 8, then one.
@inline(__always)
func sumChannels(into target: UnsafeMutablePointer<Float>, channels: Int, accumulate: Bool,
                 _ forEachEntry: (_ channel: Int, _ body: (UnsafePointer<Float>) -> Void) -> Void) {
    var channel = 0
    while channel + 32 <= channels {
        var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        if accumulate {
            (s0, s1, s2, s3) = (load8(target + channel), load8(target + channel + 8),
                                load8(target + channel + 16), load8(target + channel + 24))
        }
        forEachEntry(channel) { entry in
            s0 += load8(entry)
            s1 += load8(entry + 8)
            s2 += load8(entry + 16)
            s3 += load8(entry + 24)
        }
        store32(s0, s1, s2, s3, target + channel)
        channel += 32
    }
    while channel + 8 <= channels {
        var s = accumulate ? load8(target + channel) : SIMD8<Float>()
        forEachEntry(channel) { entry in s += load8(entry) }
        store8(s, target + channel)
        channel += 8
    }
    while channel < channels {
        var s: Float = accumulate ? target[channel] : 0
        forEachEntry(channel) { entry in s += entry[0] }
        target[channel] = s
        channel += 1
    }
}
