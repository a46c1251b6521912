// im2col (NHWC input → [b·ho·wo, kh·kw·c] patch matrix, column = (i·kw + j)·c + channel), its adjoint
// col2im, and the two convolutions built on them with `matmul`: convolution (im2col, then cols·W) and
// transposed convolution (cols = y·Wᵀ, then col2im). A window row that lies inside the input is one
// contiguous run of kw·c floats in both x and cols, so it is copied (or added) in one go.

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

/// Floats of column matrix built at once by the GEMM-based convolutions (16 MiB); larger batches
/// are processed in groups of whole images, which does not change any result.
let convolutionColumnBudget = 1 << 22

/// Images per group so that one group's column matrix fits `convolutionColumnBudget`.
func imagesPerGroup(_ g: ConvGeometry) -> Int {
    max(1, min(g.batch, convolutionColumnBudget / max(1, g.outputHeight * g.outputWidth * g.columnWidth)))
}

/// The same geometry for `count` images.
func geometryForImages(_ g: ConvGeometry, count: Int) -> ConvGeometry {
    ConvGeometry(batch: count, inputHeight: g.inputHeight, inputWidth: g.inputWidth, inputChannels: g.inputChannels,
                 kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, stride: g.strideHeight,
                 padding: .explicit(top: g.padTop, bottom: g.padBottom, left: g.padLeft, right: g.padRight))
}

/// Convolution by im2col and `matmul`: y [b, ho, wo, cout] (+)= im2col(x) · W, with
/// weights [kh, kw, cin, cout] (HWIO) seen as a [kh·kw·cin, cout] matrix. `convolutionReference` is the spec.
public func convolution(
    _ x: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    let g = geometry
    checkConvSizes("convolution", g, inputCount: x.count, outputCount: y.count, weightsCount: weights.count,
                   outputChannels: outputChannels)
    guard y.count > 0 else { return }
    let group = imagesPerGroup(g)
    let imageInput = g.inputHeight * g.inputWidth * g.inputChannels
    let imageRows = g.outputHeight * g.outputWidth
    let columns = UnsafeMutableBufferPointer<Float>.allocate(capacity: group * imageRows * g.columnWidth)
    defer { columns.deallocate() }
    for first in stride(from: 0, to: g.batch, by: group) {
        let count = min(group, g.batch - first)
        let part = geometryForImages(g, count: count)
        let partColumns = UnsafeMutableBufferPointer(rebasing: columns[0..<part.columnRows * g.columnWidth])
        let inputs = first * imageInput..<(first + count) * imageInput
        let outputs = first * imageRows * outputChannels..<(first + count) * imageRows * outputChannels
        im2col(UnsafeBufferPointer(rebasing: x[inputs]), into: partColumns, geometry: part)
        matmul(UnsafeBufferPointer(partColumns), weights, into: UnsafeMutableBufferPointer(rebasing: y[outputs]),
               m: part.columnRows, n: outputChannels, k: g.columnWidth, accumulate: accumulate)
    }
}

/// Transposed convolution: given y [b, ho, wo, cout] and weights [kh, kw, cin, cout] of a convolution with
/// this geometry, x [b, H, W, cin] (+)= the adjoint of that convolution applied to y:
/// cols = y · Wᵀ ([b·ho·wo, kh·kw·cin]), then col2im. E.g. PyTorch ConvTranspose(k4, s2, p1) 2→4 is the
/// geometry of a convolution 4→2 with k4, s2, padding 1. `transposedConvolutionReference` is the spec.
public func transposedConvolution(
    _ y: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>,
    geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    let g = geometry
    checkConvSizes("transposedConvolution", g, inputCount: x.count, outputCount: y.count, weightsCount: weights.count,
                   outputChannels: outputChannels)
    guard x.count > 0 else { return }
    guard y.count > 0 else {
        if !accumulate { x.baseAddress!.update(repeating: 0, count: x.count) }
        return
    }
    let group = imagesPerGroup(g)
    let imageInput = g.inputHeight * g.inputWidth * g.inputChannels
    let imageRows = g.outputHeight * g.outputWidth
    let columns = UnsafeMutableBufferPointer<Float>.allocate(capacity: group * imageRows * g.columnWidth)
    defer { columns.deallocate() }
    for first in stride(from: 0, to: g.batch, by: group) {
        let count = min(group, g.batch - first)
        let part = geometryForImages(g, count: count)
        let partColumns = UnsafeMutableBufferPointer(rebasing: columns[0..<part.columnRows * g.columnWidth])
        let inputs = first * imageInput..<(first + count) * imageInput
        let outputs = first * imageRows * outputChannels..<(first + count) * imageRows * outputChannels
        matmul(UnsafeBufferPointer(rebasing: y[outputs]), weights, into: partColumns,
               m: part.columnRows, n: g.columnWidth, k: outputChannels, transposeB: true)
        col2im(UnsafeBufferPointer(partColumns), into: UnsafeMutableBufferPointer(rebasing: x[inputs]),
               geometry: part, accumulate: accumulate)
    }
}
