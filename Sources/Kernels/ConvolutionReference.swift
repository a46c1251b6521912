// Plain-loop specifications of the convolution kernels (NHWC input, HWIO weights): im2col, col2im,
// direct convolution, direct transposed convolution and the direct weight gradient. Slow on purpose; the fast kernels are tested against them.

func checkConvSizes(
    _ name: String, _ geometry: ConvGeometry, inputCount: Int, outputCount: Int, weightsCount: Int,
    outputChannels: Int
) {
    let g = geometry
    precondition(outputChannels >= 0, "\(name): outputChannels must be >= 0, got \(outputChannels)")
    precondition(inputCount == g.inputCount,
                 "\(name): input has \(inputCount) elements, expected "
                    + "[\(g.batch), \(g.inputHeight), \(g.inputWidth), \(g.inputChannels)]")
    precondition(outputCount == g.columnRows * outputChannels,
                 "\(name): output has \(outputCount) elements, expected "
                    + "[\(g.batch), \(g.outputHeight), \(g.outputWidth), \(outputChannels)]")
    precondition(weightsCount == g.columnWidth * outputChannels,
                 "\(name): weights have \(weightsCount) elements, expected "
                    + "[\(g.kernelHeight), \(g.kernelWidth), \(g.inputChannels), \(outputChannels)]")
}

func checkColumnSizes(_ name: String, _ geometry: ConvGeometry, inputCount: Int, columnsCount: Int) {
    let g = geometry
    precondition(inputCount == g.inputCount,
                 "\(name): x has \(inputCount) elements, expected "
                    + "[\(g.batch), \(g.inputHeight), \(g.inputWidth), \(g.inputChannels)]")
    precondition(columnsCount == g.columnRows * g.columnWidth,
                 "\(name): cols has \(columnsCount) elements, expected [\(g.columnRows), \(g.columnWidth)]")
}

/// Calls `body(row, column, inputIndex)` for every im2col entry that reads the input (padding skipped),
/// in row-major order of the column matrix.
@inline(__always)
func forEachColumnEntry(_ g: ConvGeometry, _ body: (Int, Int, Int) -> Void) {
    for b in 0..<g.batch {
        for oy in 0..<g.outputHeight {
            for ox in 0..<g.outputWidth {
                let row = (b * g.outputHeight + oy) * g.outputWidth + ox
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        let iy = oy * g.strideHeight - g.padTop + i
                        let ix = ox * g.strideWidth - g.padLeft + j
                        if iy < 0 || iy >= g.inputHeight || ix < 0 || ix >= g.inputWidth { continue }
                        for c in 0..<g.inputChannels {
                            let column = (i * g.kernelWidth + j) * g.inputChannels + c
                            body(row, column, ((b * g.inputHeight + iy) * g.inputWidth + ix) * g.inputChannels + c)
                        }
                    }
                }
            }
        }
    }
}

/// Plain-loop specification of `im2col`.
public func im2colReference(
    _ x: UnsafeBufferPointer<Float>, into cols: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry
) {
    checkColumnSizes("im2col", geometry, inputCount: x.count, columnsCount: cols.count)
    let width = geometry.columnWidth
    for i in 0..<cols.count { cols[i] = 0 }
    forEachColumnEntry(geometry) { row, column, input in cols[row * width + column] = x[input] }
}

/// Plain-loop specification of `col2im`.
public func col2imReference(
    _ cols: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry,
    accumulate: Bool = false
) {
    checkColumnSizes("col2im", geometry, inputCount: x.count, columnsCount: cols.count)
    let width = geometry.columnWidth
    if !accumulate { for i in 0..<x.count { x[i] = 0 } }
    forEachColumnEntry(geometry) { row, column, input in x[input] += cols[row * width + column] }
}

/// Direct convolution, the specification of im2col → GEMM:
/// y[b, oy, ox, o] = Σ_{i, j, c} x[b, oy·s − padTop + i, ox·s − padLeft + j, c] · w[i, j, c, o],
/// x [b, H, W, cin], weights [kh, kw, cin, cout] (HWIO), y [b, ho, wo, cout]; padded taps read 0.
/// With `accumulate` the sum is added to y.
public func convolutionReference(
    _ x: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    checkConvSizes("convolutionReference", geometry, inputCount: x.count, outputCount: y.count,
                   weightsCount: weights.count, outputChannels: outputChannels)
    if !accumulate { for i in 0..<y.count { y[i] = 0 } }
    forEachColumnEntry(geometry) { row, column, input in
        for o in 0..<outputChannels {
            y[row * outputChannels + o] += x[input] * weights[column * outputChannels + o]
        }
    }
}

/// Direct transposed convolution, the adjoint of `convolutionReference` with respect to its input:
/// x[b, iy, ix, c] (+)= Σ over taps (oy, ox, i, j) reaching (iy, ix) of Σ_o y[b, oy, ox, o] · w[i, j, c, o].
public func transposedConvolutionReference(
    _ y: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>,
    geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    checkConvSizes("transposedConvolutionReference", geometry, inputCount: x.count, outputCount: y.count,
                   weightsCount: weights.count, outputChannels: outputChannels)
    if !accumulate { for i in 0..<x.count { x[i] = 0 } }
    forEachColumnEntry(geometry) { row, column, input in
        for o in 0..<outputChannels {
            x[input] += y[row * outputChannels + o] * weights[column * outputChannels + o]
        }
    }
}

/// Direct weight gradient, the adjoint of `convolutionReference` with respect to its weights:
/// w[i, j, c, o] (+)= Σ_{b, oy, ox} x[b, oy·s − padTop + i, ox·s − padLeft + j, c] · ȳ[b, oy, ox, o].
public func convolutionWeightGradientReference(
    _ x: UnsafeBufferPointer<Float>, outputGradient y: UnsafeBufferPointer<Float>,
    into weights: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    checkConvSizes("convolutionWeightGradientReference", geometry, inputCount: x.count, outputCount: y.count,
                   weightsCount: weights.count, outputChannels: outputChannels)
    if !accumulate { for i in 0..<weights.count { weights[i] = 0 } }
    forEachColumnEntry(geometry) { row, column, input in
        for o in 0..<outputChannels {
            weights[column * outputChannels + o] += x[input] * y[row * outputChannels + o]
        }
    }
}
