// Convolution → batch norm (batch statistics) → ReLU from the moments of the patches, for a layer
// whose patches are shorter than its output is wide (K = kh·kw·cin < cout: a first layer on raw
// images, K = 9 or 27 against 32 or 64 filters).
//
// With P = im2col(x) [rows×K], μ its column means, P_c = P − μ and W [K×cout], the conv output
// y = P·W has mean μ·W and variance w_cᵀ·Σ·w_c per channel, Σ = P_cᵀP_c / rows [K×K]. So
//
//     s_c = 1/√(w_cᵀΣw_c + ε),   x̂ = (y − mean)·s = P_c·W̃,   W̃ = W·diag(s),   out = ReLU(γ·x̂ + β)
//
// and the layer is one GEMM of [P_c | 1] with [W̃·diag(γ); β], followed by a ReLU on each block
// while it is in cache: y and x̂ [rows×cout] are never written or read back. The unfused layer
// writes y, reads it for the statistics, reads it again and writes x̂ and out: five passes over
// the widest tensor of the network instead of one.
//
// Its pullback needs only G = ḡ ⊙ [out > 0], through [Q; σ] = [P_c | 1]ᵀ·G (one pass over ḡ):
// batch norm's x̄ = γs(G − mean G − x̂·mean(G·x̂)) and the conv's W̄ = Pᵀx̄ collapse to K×cout
// algebra (`patchBatchNormReLUBackward`), so x̄, the gradient at the conv output, is never formed.

/// out = ReLU(batchNorm(conv(x, W)) with batch statistics, offset β and scale γ), computed from the
/// patches' moments (see the top of this file). `conv(x, W)` is `convolution` with `geometry`.
///
/// Besides `out` [rows × cout] it writes what `patchBatchNormReLUBackward` needs:
/// `patches` [rows × (K+1)] = [P − μ | 1], `gram` [K × K] = (P − μ)ᵀ(P − μ) = rows·Σ and
/// `inverseStd` [cout] = s.
/// - Complexity: O(rows·K·(cout + K)) flops, one pass over out; O(rows·K) scratch.
public func patchBatchNormReLU(
    _ x: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>,
    offset: UnsafeBufferPointer<Float>?, scale: UnsafeBufferPointer<Float>?,
    geometry g: ConvGeometry, outputChannels cout: Int, epsilon: Float,
    into out: UnsafeMutableBufferPointer<Float>, patches: UnsafeMutableBufferPointer<Float>,
    gram: UnsafeMutableBufferPointer<Float>, inverseStd: UnsafeMutableBufferPointer<Float>
) {
    let (rows, width) = (g.columnRows, g.columnWidth)
    let augmented = width + 1
    precondition(x.count == g.inputCount && weights.count == width * cout && out.count == rows * cout
                 && patches.count == rows * augmented && gram.count == width * width && inverseStd.count == cout
                 && (offset?.count ?? cout) == cout && (scale?.count ?? cout) == cout,
                 "patchBatchNormReLU: sizes do not match the geometry (K = \(width), \(cout) channels)")
    precondition(rows > 0 && cout > 0, "patchBatchNormReLU: batch statistics need at least one row")
    let scratch = Scratch()
    defer { scratch.release() }
    centeredPatches(x, geometry: g, into: patches, scratch: scratch)

    // Σ·rows = P_cᵀP_c (the (K+1)-th row and column, sums of P_c and the count, are not used).
    let fullGram = scratch.floats(augmented * augmented)
    matmul(UnsafeBufferPointer(patches), UnsafeBufferPointer(patches), into: fullGram, m: augmented, n: augmented,
           k: rows, transposeA: true)
    for i in 0..<width {
        for j in 0..<width { gram[i * width + j] = fullGram[i * augmented + j] }
    }
    // s_c = 1/√(w_cᵀΣw_c + ε), then the GEMM's weights [W·diag(s·γ); β].
    let gemmWeights = scratch.floats(augmented * cout)
    for c in 0..<cout {
        let variance = max(0, quadraticForm(gram.baseAddress!, weights.baseAddress!, column: c, width: width,
                                            columns: cout) / Double(rows))
        let s = Float(1 / (variance + Double(epsilon)).squareRoot())
        inverseStd[c] = s
        let gain = s * (scale?[c] ?? 1)
        for k in 0..<width { gemmWeights[k * cout + c] = weights[k * cout + c] * gain }
        gemmWeights[width * cout + c] = offset?[c] ?? 0
    }
    let packedWeights = PackedB(UnsafeBufferPointer(gemmWeights), n: cout, k: augmented, transposed: false,
                                into: scratch.floats(PackedB.floats(n: cout, k: augmented)))
    // Blocks of rows: the GEMM writes a block of out, the ReLU rewrites it while it is in cache.
    nonisolated(unsafe) let (sp, so) = (patches.baseAddress!, out.baseAddress!)
    forEachChunk(rows, chunkSize: max(1, 8192 / cout)) { range in
        let block = UnsafeMutableBufferPointer(start: so + range.lowerBound * cout, count: range.count * cout)
        matmul(UnsafeBufferPointer(start: sp + range.lowerBound * augmented, count: range.count * augmented),
               packedWeights, into: block, m: range.count)
        rectifyInPlace(block)
    }
}

/// The pullback of `patchBatchNormReLU`: from ḡ [rows × cout], the cotangent of its output `out`,
/// the gradients of the conv weights W̄ [K × cout], of the offset β̄ = Σᵣ G and of the scale
/// γ̄ = Σᵣ G·x̂ (G = ḡ where out > 0, else 0), through [Q; σ] = [P_c | 1]ᵀ·G:
///
///     γ̄_c = Σ_k W̃[k,c]·Q[k,c],   W̄[k,c] = γ_c·s_c·(Q[k,c] − (gram·W̃)[k,c]·γ̄_c/rows),   β̄_c = σ_c
///
/// with W̃ = W·diag(s): the chain rule through batch norm's backward pass
/// (x̄ = γs(G − mean G − x̂·mean(G·x̂))) and the conv's (W̄ = Pᵀx̄ = P_cᵀx̄, as Σᵣ x̄ = 0), with
/// P_cᵀ1 = 0 for the centred patches and P_cᵀx̂ = P_cᵀP_c·W̃ = gram·W̃.
/// - Complexity: O(rows·(K+1)·cout) flops, one pass over ḡ and out.
public func patchBatchNormReLUBackward(
    _ gradient: UnsafeBufferPointer<Float>, output out: UnsafeBufferPointer<Float>,
    patches: UnsafeBufferPointer<Float>, gram: UnsafeBufferPointer<Float>, inverseStd: UnsafeBufferPointer<Float>,
    weights: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?, rows: Int, outputChannels cout: Int,
    weightGradient: UnsafeMutableBufferPointer<Float>, scaleGradient: UnsafeMutableBufferPointer<Float>,
    offsetGradient: UnsafeMutableBufferPointer<Float>
) {
    precondition(cout > 0, "patchBatchNormReLUBackward: no output channels")
    let width = weights.count / cout
    let augmented = width + 1
    precondition(weights.count == width * cout && inverseStd.count == cout && gradient.count == rows * cout && out.count == rows * cout
                 && patches.count == rows * augmented && gram.count == width * width
                 && weightGradient.count == width * cout && scaleGradient.count == cout
                 && offsetGradient.count == cout && (scale?.count ?? cout) == cout && rows > 0,
                 "patchBatchNormReLUBackward: sizes do not match (\(rows) rows, \(cout) channels)")
    let scratch = Scratch()
    defer { scratch.release() }
    let qs = scratch.floats(augmented * cout)  // [Q; σ] = [P_c | 1]ᵀ·G
    matmulDeepTransposedA(patches.baseAddress!, MaskedRowValues(x: gradient.baseAddress!, mask: out.baseAddress!),
                          qs.baseAddress!, m: augmented, n: cout, k: rows, accumulate: false,
                          threads: productThreads(m: augmented, n: cout, k: rows, available: Parallelism.threads))
    for c in 0..<cout {
        let s = Double(inverseStd[c])
        var gammaBar: Double = 0
        for k in 0..<width { gammaBar += Double(weights[k * cout + c]) * s * Double(qs[k * cout + c]) }
        let gain = Double(scale?[c] ?? 1) * s
        let m2 = gammaBar / Double(rows)
        for k in 0..<width {
            var sigmaW: Double = 0  // (Σ_P·W̃)[k, c], Σ_P = gram
            for j in 0..<width { sigmaW += Double(gram[k * width + j]) * Double(weights[j * cout + c]) * s }
            weightGradient[k * cout + c] = Float(gain * (Double(qs[k * cout + c]) - sigmaW * m2))
        }
        scaleGradient[c] = Float(gammaBar)
        offsetGradient[c] = qs[width * cout + c]
    }
}

/// Whether `patchBatchNormReLU` is the cheaper way for this layer: patches shorter than the output
/// channels (the moments then cost less than passes over the output), at most 31 long (the pullback's
/// [P_c | 1]ᵀ·G then takes the deep weight-gradient path).
public func patchBatchNormPays(patchSize: Int, outputChannels: Int) -> Bool {
    patchSize < outputChannels && patchSize + 1 <= MatMulBlocking.maxRowsForDeepPath
}

/// patches [rows × (K+1)] = [im2col(x) − μ | 1], μ the column means of im2col(x).
private func centeredPatches(_ x: UnsafeBufferPointer<Float>, geometry g: ConvGeometry,
                             into patches: UnsafeMutableBufferPointer<Float>, scratch: Scratch) {
    let (rows, width) = (g.columnRows, g.columnWidth)
    let columns = scratch.floats(rows * width)
    im2col(x, into: columns, geometry: g)
    let mean = scratch.floats(width)
    channelSums(UnsafeBufferPointer(columns), times: nil, into: mean, rows: rows, channels: width)
    for k in 0..<width { mean[k] /= Float(rows) }
    nonisolated(unsafe) let (sc, sm, sp) = (columns.baseAddress!, mean.baseAddress!, patches.baseAddress!)
    forEachChunk(rows, chunkSize: 4096) { range in
        for r in range {
            let (source, target) = (sc + r * width, sp + r * (width + 1))
            for k in 0..<width { target[k] = source[k] - sm[k] }
            target[width] = 1
        }
    }
}

/// w_cᵀ·A·w_c in Double, A [K × K], w_c column c of W [K × columns].
private func quadraticForm(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, column c: Int, width: Int,
                           columns: Int) -> Double {
    var total: Double = 0
    for i in 0..<width {
        var row: Double = 0
        for j in 0..<width { row += Double(a[i * width + j]) * Double(w[j * columns + c]) }
        total += Double(w[i * columns + c]) * row
    }
    return total
}

/// x = max(x, 0) in place, NaN kept (the same bits as `relu`).
private func rectifyInPlace(_ x: UnsafeMutableBufferPointer<Float>) {
    let p = x.baseAddress!
    var i = 0
    while i + 8 <= x.count {
        let v = load8(p + i)
        store8(v.replacing(with: 0, where: .zero .> v), p + i)
        i += 8
    }
    while i < x.count {
        if p[i] < 0 { p[i] = 0 }
        i += 1
    }
}

// MARK: - References (the unfused layer in plain loops: the specification of the two kernels above)

/// out = ReLU(γ·(y − mean)·s + β) for y = conv(x, W), statistics in Double (β, γ nil: 0, 1).
public func patchBatchNormReLUReference(
    _ x: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>?,
    scale: UnsafeBufferPointer<Float>?, geometry g: ConvGeometry, outputChannels cout: Int, epsilon: Float,
    into out: UnsafeMutableBufferPointer<Float>
) {
    let layer = ReferenceLayer(x, weights: weights, geometry: g, outputChannels: cout, epsilon: epsilon)
    for r in 0..<layer.rows {
        for c in 0..<cout {
            let v = Double(scale?[c] ?? 1) * layer.xhat[r * cout + c] + Double(offset?[c] ?? 0)
            out[r * cout + c] = Float(max(v, 0))
        }
    }
}

/// W̄ = im2col(x)ᵀ·x̄, γ̄ = Σᵣ G·x̂, β̄ = Σᵣ G with G = ḡ·[out > 0] and batch norm's
/// x̄ = γs(G − mean G − x̂·mean(G·x̂)), all in Double from the unfused layer's values.
public func patchBatchNormReLUBackwardReference(
    _ gradient: UnsafeBufferPointer<Float>, output out: UnsafeBufferPointer<Float>, x: UnsafeBufferPointer<Float>,
    weights: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?, geometry g: ConvGeometry,
    outputChannels cout: Int, epsilon: Float, weightGradient: UnsafeMutableBufferPointer<Float>,
    scaleGradient: UnsafeMutableBufferPointer<Float>, offsetGradient: UnsafeMutableBufferPointer<Float>
) {
    let layer = ReferenceLayer(x, weights: weights, geometry: g, outputChannels: cout, epsilon: epsilon)
    let (rows, width) = (layer.rows, g.columnWidth)
    var columns = [Float](repeating: 0, count: rows * width)
    columns.withUnsafeMutableBufferPointer { im2colReference(x, into: $0, geometry: g) }
    for c in 0..<cout {
        let masked = (0..<rows).map { out[$0 * cout + c] > 0 ? Double(gradient[$0 * cout + c]) : 0 }
        let sumG = masked.reduce(0, +)
        let sumGX = (0..<rows).reduce(0.0) { $0 + masked[$1] * layer.xhat[$1 * cout + c] }
        let gain = Double(scale?[c] ?? 1) * layer.inverseStd[c]
        let xBar = (0..<rows).map { gain * (masked[$0] - sumG / Double(rows) - layer.xhat[$0 * cout + c] * sumGX / Double(rows)) }
        for k in 0..<width {
            weightGradient[k * cout + c] = Float((0..<rows).reduce(0.0) { $0 + Double(columns[$1 * width + k]) * xBar[$1] })
        }
        scaleGradient[c] = Float(sumGX)
        offsetGradient[c] = Float(sumG)
    }
}

/// The unfused layer's x̂ and s in Double.
private struct ReferenceLayer {
    let rows: Int
    var xhat: [Double]
    var inverseStd: [Double]

    init(_ x: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, geometry g: ConvGeometry,
         outputChannels cout: Int, epsilon: Float) {
        rows = g.columnRows
        var y = [Float](repeating: 0, count: rows * cout)
        y.withUnsafeMutableBufferPointer { convolutionReference(x, weights: weights, into: $0, geometry: g, outputChannels: cout) }
        xhat = [Double](repeating: 0, count: rows * cout)
        inverseStd = [Double](repeating: 0, count: cout)
        for c in 0..<cout {
            let values = (0..<rows).map { Double(y[$0 * cout + c]) }
            let mean = values.reduce(0, +) / Double(rows)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)
            inverseStd[c] = 1 / (variance + Double(epsilon)).squareRoot()
            for r in 0..<rows { xhat[r * cout + c] = (values[r] - mean) * inverseStd[c] }
        }
    }
}
