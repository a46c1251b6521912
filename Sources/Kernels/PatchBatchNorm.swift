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

    patchGram(patches.baseAddress!, rows: rows, width: width, into: gram.baseAddress!)
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
    forEachChunk(rows, chunkSize: max(1, 32768 / cout)) { range in
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
    matmulDeepTransposedA(patches.baseAddress!, gradient.baseAddress!, qs.baseAddress!, m: augmented, n: cout, k: rows,
                          accumulate: false, threads: productThreads(m: augmented, n: cout, k: rows, available: Parallelism.threads),
                          mask: out.baseAddress!)
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

/// gram[i, j] = Σᵣ p[r, i]·p[r, j] for i, j < K, p = patches [rows × (K+1)]: blocks of 256 rows
/// summed in Float SIMD lanes (Gram row i against the whole patch row), the blocks added in Double,
/// in order. One thread: a first layer's Gram matrix is a few hundred thousand flops.
private func patchGram(_ p: UnsafePointer<Float>, rows: Int, width: Int, into gram: UnsafeMutablePointer<Float>) {
    let stride = width + 1
    let vectors = (stride + 7) / 8  // SIMD8 lanes covering a patch row
    var totals = [Double](repeating: 0, count: width * width)
    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: width * vectors + vectors) { buffer in
        let (sums, lastRow) = (buffer.baseAddress!, buffer.baseAddress! + width * vectors)
        // The last patch row, copied with zero padding: the loads below read `vectors`·8 floats from
        // each row, past its end (into the next row, unused) and, for the last row, past the buffer.
        let copy = UnsafeMutableRawPointer(lastRow).assumingMemoryBound(to: Float.self)
        copy.initialize(repeating: 0, count: vectors * 8)
        copy.update(from: p + (rows - 1) * stride, count: stride)
        for blockStart in Swift.stride(from: 0, to: rows, by: 256) {
            let block = blockStart ..< min(rows, blockStart + 256)
            for i in 0..<(width * vectors) { sums[i] = .zero }
            let inPlace = block.lowerBound ..< min(block.upperBound, rows - 1)
            var first = 0
            if vectors == 2 {
                while first < width {  // 4 Gram rows × 16 lanes in 8 registers
                    gramRows16(p, rows: inPlace, stride: stride, first: first, count: min(4, width - first), into: sums)
                    first += 4
                }
                first = width
            }
            for r in inPlace { gramRow(p + r * stride, from: first, width: width, vectors: vectors, into: sums) }
            if block.upperBound == rows { gramRow(UnsafePointer(copy), from: 0, width: width, vectors: vectors, into: sums) }
            for i in 0..<width {
                let lanes = UnsafeRawPointer(sums + i * vectors).assumingMemoryBound(to: Float.self)
                for j in 0..<width { totals[i * width + j] += Double(lanes[j]) }
            }
        }
    }
    for i in 0..<(width * width) { gram[i] = Float(totals[i]) }
}

/// sums[i] += row[i]·row[0 ..< 8·vectors] for Gram rows i ≥ first.
@inline(__always)
private func gramRow(_ row: UnsafePointer<Float>, from first: Int, width: Int, vectors: Int,
                     into sums: UnsafeMutablePointer<SIMD8<Float>>) {
    for i in first..<width {
        let s = SIMD8<Float>(repeating: row[i])
        for q in 0..<vectors { sums[i * vectors + q] = sums[i * vectors + q].addingProduct(s, load8(row + 8 * q)) }
    }
}

/// Gram rows first ..< first + count (count ≤ 4) over patch rows `rows` of at most 16 floats, in 8
/// registers: sums[i] += Σᵣ p[r, i]·p[r, 0 ..< 16].
@inline(__always)
private func gramRows16(_ p: UnsafePointer<Float>, rows: Range<Int>, stride: Int, first: Int, count: Int,
                        into sums: UnsafeMutablePointer<SIMD8<Float>>) {
    let i = (first, min(first + 1, first + count - 1), min(first + 2, first + count - 1), min(first + 3, first + count - 1))
    var (a0, a1, b0, b1) = (sums[2 * i.0], sums[2 * i.0 + 1], sums[2 * i.1], sums[2 * i.1 + 1])
    var (c0, c1, d0, d1) = (sums[2 * i.2], sums[2 * i.2 + 1], sums[2 * i.3], sums[2 * i.3 + 1])
    for r in rows {
        let row = p + r * stride
        let (v0, v1) = (load8(row), load8(row + 8))
        var s = SIMD8<Float>(repeating: row[i.0])
        a0 = a0.addingProduct(s, v0); a1 = a1.addingProduct(s, v1)
        s = SIMD8<Float>(repeating: row[i.1])
        b0 = b0.addingProduct(s, v0); b1 = b1.addingProduct(s, v1)
        s = SIMD8<Float>(repeating: row[i.2])
        c0 = c0.addingProduct(s, v0); c1 = c1.addingProduct(s, v1)
        s = SIMD8<Float>(repeating: row[i.3])
        d0 = d0.addingProduct(s, v0); d1 = d1.addingProduct(s, v1)
    }
    // With count < 4 the repeated last row computed the same sums again: store it once (last).
    (sums[2 * i.3], sums[2 * i.3 + 1]) = (d0, d1)
    (sums[2 * i.2], sums[2 * i.2 + 1]) = (c0, c1)
    (sums[2 * i.1], sums[2 * i.1 + 1]) = (b0, b1)
    (sums[2 * i.0], sums[2 * i.0 + 1]) = (a0, a1)
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
