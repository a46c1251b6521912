// im2col (NHWC input → [b·ho·wo, kh·kw·c] patch matrix, column = (i·kw + j)·c + channel) and its adjoint
// col2im, on which the convolutions of Convolution.swift are built. A window row that lies inside the
// input is one contiguous run of kw·c floats in both x and cols, so it is copied (or added) in one go.

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
    let runWidth = g.kernelWidth * g.inputChannels
    forEachChunk(g.batch * g.outputHeight, chunkSize: max(1, 65536 / (g.outputWidth * g.columnWidth))) { range in
        for outRow in range {
            let (b, oy) = outRow.quotientAndRemainder(dividingBy: g.outputHeight)
            for ox in 0..<g.outputWidth {
                var target = sc + (outRow * g.outputWidth + ox) * g.columnWidth
                let left = ox * g.strideWidth - g.padLeft
                for i in 0..<g.kernelHeight {
                    let iy = oy * g.strideHeight - g.padTop + i
                    if iy < 0 || iy >= g.inputHeight {
                        target.update(repeating: 0, count: runWidth)
                    } else {
                        let inputRow = sx + (b * g.inputHeight + iy) * g.inputWidth * g.inputChannels
                        if left >= 0 && left + g.kernelWidth <= g.inputWidth {
                            copyFloats(from: inputRow + left * g.inputChannels, to: target, count: runWidth)
                        } else {
                            for j in 0..<g.kernelWidth {
                                let ix = left + j
                                let tap = target + j * g.inputChannels
                                if ix < 0 || ix >= g.inputWidth {
                                    tap.update(repeating: 0, count: g.inputChannels)
                                } else {
                                    copyFloats(from: inputRow + ix * g.inputChannels, to: tap, count: g.inputChannels)
                                }
                            }
                        }
                    }
                    target += runWidth
                }
            }
        }
    }
}

/// The adjoint of `im2col`: x (+)= scatter-sum of cols, so ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩.
/// Images run in parallel; within an image the additions follow the reference's order exactly.
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
    let runWidth = g.kernelWidth * g.inputChannels
    let imageColumns = g.outputHeight * g.outputWidth * g.columnWidth
    let imageSize = g.inputHeight * g.inputWidth * g.inputChannels
    forEachChunk(g.batch, chunkSize: max(1, 65536 / imageColumns)) { range in
        for b in range {
            var source = sc + b * imageColumns
            let image = sx + b * imageSize
            // Zeroed image by image, just before its sums: the lines are still in cache when added to.
            if !accumulate { image.update(repeating: 0, count: imageSize) }
            for oy in 0..<g.outputHeight {
                for ox in 0..<g.outputWidth {
                    let left = ox * g.strideWidth - g.padLeft
                    for i in 0..<g.kernelHeight {
                        let iy = oy * g.strideHeight - g.padTop + i
                        if iy >= 0 && iy < g.inputHeight {
                            let inputRow = image + iy * g.inputWidth * g.inputChannels
                            if left >= 0 && left + g.kernelWidth <= g.inputWidth {
                                addFloats(from: source, to: inputRow + left * g.inputChannels, count: runWidth)
                            } else {
                                for j in 0..<g.kernelWidth where left + j >= 0 && left + j < g.inputWidth {
                                    let tap = inputRow + (left + j) * g.inputChannels
                                    addFloats(from: source + j * g.inputChannels, to: tap, count: g.inputChannels)
                                }
                            }
                        }
                        source += runWidth
                    }
                }
            }
        }
    }
}
