// The three large kernels of conv → batch norm (batch statistics) → ReLU computed from the moments of
// the patches, for a layer whose patches are shorter than its output is wide (K = kh·kw·cin < cout:
// a first layer on raw images, K = 9 or 27 against 32 or 64 filters). Autodiff/Ops/ConvBatchNormReLU.swift
// puts them together with K×cout algebra.
//
// With P = im2col(x) [rows×K], μ its column means, P_c = P − μ and W [K×cout], the conv output
// y = P·W has mean μ·W and variance w_cᵀ·(P_cᵀP_c)·w_c / rows per channel. So
//
//     s = 1/√(var + ε),   x̂ = (y − mean)·s = P_c·W̃ (W̃ = W·diag(s)),   out = ReLU([P_c | 1]·[W̃·diag(γ); β])
//
// and batch norm's pullback at the conv output, x̄ = γs(G − mean G − x̂·mean(G·x̂)) with G = ḡ⊙[out > 0],
// needs G only through [P_c | 1]ᵀ·G. The layer never writes or reads y and x̂ [rows×cout]: the unfused
// layer makes five passes over its widest tensor (write y, read it for the statistics, read it again
// and write x̂ and out), this one makes one (write out); its pullback one (read ḡ and out).

/// patches [rows × (K+1)] = [im2col(x) − μ | 1] (μ the column means) and gram [K × K] = (P − μ)ᵀ(P − μ),
/// for x and `geometry` as `convolution`.
/// - Complexity: O(rows·K²) flops; O(rows·K) scratch.
public func patchMoments(_ x: UnsafeBufferPointer<Float>, geometry g: ConvGeometry,
                         patches: UnsafeMutableBufferPointer<Float>, gram: UnsafeMutableBufferPointer<Float>) {
    let (rows, width) = (g.columnRows, g.columnWidth)
    precondition(x.count == g.inputCount && patches.count == rows * (width + 1) && gram.count == width * width && rows > 0,
                 "patchMoments: sizes do not match the geometry (K = \(width), \(rows) rows)")
    let scratch = Scratch()
    defer { scratch.release() }
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
    patchGram(patches.baseAddress!, rows: rows, width: width, into: gram.baseAddress!)
}

/// out [rows × cout] = ReLU(patches · weights), or, with a `mask`, (patches · weights) kept where
/// mask > 0 (the tangent of the ReLU's output): weights [(K+1) × cout], patches [rows × (K+1)].
/// Blocks of rows: the GEMM writes a block of out and the ReLU (or mask) rewrites it while it is in cache.
/// - Complexity: O(rows·(K+1)·cout) flops, one pass over out.
public func patchProduct(_ patches: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, rows: Int,
                         outputChannels cout: Int, into out: UnsafeMutableBufferPointer<Float>,
                         keepingWherePositive mask: UnsafeBufferPointer<Float>? = nil) {
    let depth = weights.count / max(cout, 1)
    precondition(cout > 0 && weights.count == depth * cout && patches.count == rows * depth && out.count == rows * cout
                 && (mask?.count ?? out.count) == out.count, "patchProduct: sizes do not match (\(rows) rows, \(cout) channels)")
    guard rows > 0 else { return }
    let scratch = Scratch()
    defer { scratch.release() }
    let packed = PackedB(weights, n: cout, k: depth, transposed: false, into: scratch.floats(PackedB.floats(n: cout, k: depth)))
    nonisolated(unsafe) let (sp, so, sm) = (patches.baseAddress!, out.baseAddress!, mask?.baseAddress)
    forEachChunk(rows, chunkSize: max(1, 32768 / cout)) { range in
        let block = UnsafeMutableBufferPointer(start: so + range.lowerBound * cout, count: range.count * cout)
        matmul(UnsafeBufferPointer(start: sp + range.lowerBound * depth, count: range.count * depth), packed, into: block,
               m: range.count)
        if let sm {
            copyKeepingWherePositive(block.baseAddress!, sm + range.lowerBound * cout, into: block.baseAddress!,
                                     count: block.count)
        } else {
            rectifyInPlace(block)
        }
    }
}

/// moments [(K+1) × cout] = patchesᵀ · (ḡ ⊙ [mask > 0]): patches [rows × (K+1)], ḡ and mask [rows × cout].
/// One pass over ḡ and the mask (the deep weight-gradient path, each block of ḡ masked once in L1).
/// - Complexity: O(rows·(K+1)·cout) flops.
public func patchMaskedMoments(_ gradient: UnsafeBufferPointer<Float>, mask: UnsafeBufferPointer<Float>,
                               patches: UnsafeBufferPointer<Float>, rows: Int, outputChannels cout: Int,
                               into moments: UnsafeMutableBufferPointer<Float>) {
    let depth = moments.count / max(cout, 1)
    precondition(cout > 0 && moments.count == depth * cout && patches.count == rows * depth && gradient.count == rows * cout
                 && mask.count == rows * cout, "patchMaskedMoments: sizes do not match (\(rows) rows, \(cout) channels)")
    guard rows > 0 else {
        moments.update(repeating: 0)
        return
    }
    ProductProfile.measure(.init(m: depth, n: cout, k: rows, transposeA: true, transposeB: false, algorithm: "deep, masked")) {
        matmulDeepTransposedA(patches.baseAddress!, gradient.baseAddress!, moments.baseAddress!, m: depth, n: cout, k: rows,
                              accumulate: false, threads: productThreads(m: depth, n: cout, k: rows, available: Parallelism.threads),
                              mask: mask.baseAddress!)
    }
}

/// Whether the patch-moment kernels are the cheaper way for a layer: patches shorter than the output
/// channels, at most 31 long ([P_c | 1]ᵀ·G then takes the deep weight-gradient path).
public func patchBatchNormPays(patchSize: Int, outputChannels: Int) -> Bool {
    patchSize < outputChannels && patchSize + 1 <= MatMulBlocking.maxRowsForDeepPath
}

/// x = max(x, 0) in place on the calling thread (`relu`'s lanes; `relu` itself splits its work across
/// threads, and this runs inside a chunk that is already one thread's share).
private func rectifyInPlace(_ x: UnsafeMutableBufferPointer<Float>) {
    let p = x.baseAddress!
    var i = 0
    while i + 8 <= x.count {
        store8(rectified(load8(p + i)), p + i)
        i += 8
    }
    while i < x.count {
        p[i] = rectified(p[i])
        i += 1
    }
}
