// im2col (NHWC input → [b·ho·wo, kh·kw·c] patch matrix, column = (i·kw + j)·c + channel), on which the
// convolutions of Convolution.swift are built (its adjoint col2im is in Col2Im.swift). A window row that
// lies inside the input is one contiguous run of kw·c floats in both x and cols, so it is copied in one go.

/// x [b, H, W, c] → cols [b·ho·wo, kh·kw·c]: row (b, oy, ox) holds the input patch under that output
/// position, column (i·kw + j)·c + channel; padded positions are 0.
public func im2col(
    _ x: UnsafeBufferPointer<Float>, into cols: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry
) {
    let g = geometry
    checkColumnSizes("im2col", g, inputCount: x.count, columnsCount: cols.count)
    guard cols.count > 0, let pc = cols.baseAddress else { return }
    guard let px = x.baseAddress, x.count > 0 else {  // an empty input pads to all zeros
        pc.update(repeating: 0, count: cols.count)
        return
    }
    nonisolated(unsafe) let (sx, sc) = (px, pc)
    nonisolated(unsafe) let inputEnd = px + x.count
    // The geometry as plain locals: the per-pixel loop below is mostly index arithmetic.
    let (kh, kw, c) = (g.kernelHeight, g.kernelWidth, g.inputChannels)
    let (height, width, outHeight, outWidth) = (g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth)
    let (strideY, strideX, padTop, padLeft) = (g.strideHeight, g.strideWidth, g.padTop, g.padLeft)
    let (runWidth, columnWidth, rowFloats) = (kw &* c, g.columnWidth, g.inputWidth &* g.inputChannels)
    // Output columns whose windows lie inside the input horizontally: left = ox·stride − padLeft ≥ 0
    // and left + kw ≤ W.
    let firstInside = min(outWidth, ceilDiv(padLeft, strideX))
    let pastInside = width &- kw &+ padLeft < 0 ? 0 : min(outWidth, (width &- kw &+ padLeft) / strideX &+ 1)
    let interior = firstInside ..< max(firstInside, pastInside)
    let shortRuns = runWidth <= 16 && !interior.isEmpty
    let shortRunWindows = ShortRunWindows(rowFloats: rowFloats, kernelRows: kh, runWidth: runWidth, step: strideX &* c)
    forEachChunk(g.batch * outHeight, chunkSize: max(1, 65536 / (outWidth * columnWidth))) { range in
        // Short runs (layer 1: kw·c = 3 or 9 floats) are copied with whole 8-float vectors; the lanes
        // past a run land on positions written next, never past this chunk's part of cols.
        let chunkEnd = sc + range.upperBound &* outWidth &* columnWidth
        var target = sc + range.lowerBound &* outWidth &* columnWidth
        for outRow in range {
            let (b, oy) = outRow.quotientAndRemainder(dividingBy: outHeight)
            let top = oy &* strideY &- padTop  // input row of kernel row 0
            let rows = max(0, -top) ..< min(kh, height &- top)  // kernel rows inside the input
            let image = sx + b &* height &* rowFloats
            /// The column row of output column ox, any window (border or not).
            @inline(__always)
            func writeRow(_ ox: Int) {
                let left = ox &* strideX &- padLeft
                let inside = left >= 0 && left &+ kw <= width
                for i in 0..<kh {
                    if !rows.contains(i) {
                        target.update(repeating: 0, count: runWidth)
                    } else if inside {
                        copyRun(from: image + ((top &+ i) &* rowFloats &+ left &* c), to: target, count: runWidth,
                                sourceEnd: inputEnd, targetEnd: chunkEnd)
                    } else {
                        let inputRow = image + (top &+ i) &* rowFloats
                        for j in 0..<kw {
                            let ix = left &+ j
                            if ix < 0 || ix >= width {
                                (target + j &* c).update(repeating: 0, count: c)
                            } else {
                                copyFloats(from: inputRow + ix &* c, to: target + j &* c, count: c)
                            }
                        }
                    }
                    target += runWidth
                }
            }
            // Short runs with the whole window inside the input: the interior columns in one tight loop.
            let offset: Int = top &* rowFloats &+ (interior.lowerBound &* strideX &- padLeft) &* c
            if shortRuns && rows.count == kh
                && shortRunWindows.fits(first: image + offset, target: target + interior.lowerBound &* columnWidth,
                                        count: interior.count, sourceEnd: inputEnd, targetEnd: chunkEnd)
            {
                for ox in 0..<interior.lowerBound { writeRow(ox) }
                target = shortRunWindows.copy(first: image + offset, to: target, count: interior.count)
                for ox in interior.upperBound..<outWidth { writeRow(ox) }
            } else {
                for ox in 0..<outWidth { writeRow(ox) }
            }
        }
    }
}

/// The column rows of consecutive output positions whose windows lie inside the input, for runs of
/// at most 16 floats (layer 1): each row is kh runs of kw·c floats, run i from input row i, and the
/// next position's runs start `step` floats further on. Runs are copied as whole 8-float vectors.
private struct ShortRunWindows {
    let rowFloats: Int
    let kernelRows: Int
    let runWidth: Int
    let step: Int

    /// Whether every vector `copy` loads and stores stays before the ends.
    func fits(first: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>, count: Int,
              sourceEnd: UnsafePointer<Float>, targetEnd: UnsafeMutablePointer<Float>) -> Bool {
        let lastRunOffset: Int = (count &- 1) &* step &+ (kernelRows &- 1) &* rowFloats
        let lastTargetOffset: Int = (count &* kernelRows &- 1) &* runWidth
        return first + (lastRunOffset + 16) <= sourceEnd && target + (lastTargetOffset + 16) <= targetEnd
    }

    /// Copies `count` positions' rows to `target` and returns the position after them.
    @inline(never)
    func copy(first: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int)
        -> UnsafeMutablePointer<Float>
    {
        var (window, out) = (first, target)
        if runWidth <= 8 {
            for _ in 0..<count {
                var run = window
                for _ in 0..<kernelRows {
                    store8(load8(run), out)
                    run += rowFloats
                    out += runWidth
                }
                window += step
            }
        } else {
            for _ in 0..<count {
                var run = window
                for _ in 0..<kernelRows {
                    store8(load8(run), out)
                    store8(load8(run + 8), out + 8)
                    run += rowFloats
                    out += runWidth
                }
                window += step
            }
        }
        return out
    }
}

/// target[0..<count] = source[0..<count]. A run of at most 16 floats is copied as one or two 8-float
/// vectors when both stay before their ends; the extra lanes then overwrite target[count..<16], which
/// the caller must write afterwards.
@inline(__always)
private func copyRun(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int,
                     sourceEnd: UnsafePointer<Float>, targetEnd: UnsafeMutablePointer<Float>) {
    if count <= 8 && source + 8 <= sourceEnd && target + 8 <= targetEnd {
        store8(load8(source), target)
    } else if count <= 16 && source + 16 <= sourceEnd && target + 16 <= targetEnd {
        store8(load8(source), target)
        store8(load8(source + 8), target + 8)
    } else {
        copyFloats(from: source, to: target, count: count)
    }
}
