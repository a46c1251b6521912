// Batch normalization with batch statistics over x [rows, channels] (rows = batch·height·width, NHWC).
// Population variance; mean and 1/sqrt(var + eps) are written out for the backward pass.
// Deterministic: the statistics blocks depend only on the sizes, never on the thread count.

/// y = (x − mean)·invStd·(scale ?? 1) + offset, per channel, with
/// mean[c] = (1/rows) Σᵣ x[r, c], var[c] = (1/rows) Σᵣ (x[r, c] − mean[c])², invStd[c] = 1/√(var[c] + ε).
/// One pass over x for the statistics (per block of 64 rows: its sum, then its squared deviations
/// from its own mean while it is in L1; blocks merged exactly in Double, in block order), one pass to
/// normalize: x̂ = (x − mean)·invStd, then y = x̂·scale + offset (the reference's rounding); with
/// `normalized`, x̂ is also written there. `rectified` writes ReLU(y) instead of y (batch norm then
/// ReLU in one pass, the same bits as `relu` on y).
public func batchNormalize(
    _ x: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?,
    into y: UnsafeMutableBufferPointer<Float>, normalized: UnsafeMutableBufferPointer<Float>? = nil,
    mean: UnsafeMutableBufferPointer<Float>, inverseStd: UnsafeMutableBufferPointer<Float>,
    rows: Int, channels: Int, epsilon: Float, rectified: Bool = false
) {
    checkBatchNormSizes(x.count, offset.count, scale?.count, y.count, mean.count, inverseStd.count, rows, channels, epsilon)
    precondition(normalized.map { $0.count == y.count } ?? true,
                 "batchNormalize: normalized has \(normalized?.count ?? 0) elements but y has \(y.count)")
    guard channels > 0, let px = x.baseAddress, let py = y.baseAddress, let pm = mean.baseAddress,
          let pv = inverseStd.baseAddress, let po = offset.baseAddress else { return }
    batchNormStatistics(x, mean: mean, inverseStd: inverseStd, rows: rows, channels: channels, epsilon: epsilon)
    let scratch = Scratch()
    defer { scratch.release() }
    let gain = scratch.floats(channels)
    for c in 0..<channels { gain[c] = scale?[c] ?? 1 }
    nonisolated(unsafe) let (sx, sy, sm, sv, so, sg) = (px, py, pm, pv, po, gain.baseAddress!)
    nonisolated(unsafe) let sn = normalized?.baseAddress
    // Pass 2: x̂ = (x − mean)·invStd (stored when `normalized` is given), y = x̂·scale + offset.
    forEachChunk(rows, chunkSize: max(1, 65536 / channels)) { range in
        for r in range {
            normalizeRow(sx + r * channels, channels: channels, mean: sm, inverseStd: sv, scale: sg, offset: so,
                         normalized: sn.map { $0 + r * channels }, into: sy + r * channels, rectified: rectified)
        }
    }
}

/// One row of batch norm's normalizing pass: x̂ = (x − mean)·invStd (stored in `normalized` when
/// given), y = x̂·scale + offset, or ReLU(y) when `rectified`. Every normalizing kernel uses this, so
/// their bits agree.
@inline(__always)
func normalizeRow(
    _ row: UnsafePointer<Float>, channels: Int, mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
    scale: UnsafePointer<Float>, offset: UnsafePointer<Float>, normalized xhat: UnsafeMutablePointer<Float>?,
    into out: UnsafeMutablePointer<Float>, rectified: Bool
) {
    var c = 0
    while c + 8 <= channels {
        let normalized = (load8(row + c) - load8(mean + c)) * load8(inverseStd + c)
        if let xhat { store8(normalized, xhat + c) }
        var v = normalized * load8(scale + c) + load8(offset + c)
        if rectified { v.replace(with: 0, where: .zero .> v) }
        store8(v, out + c)
        c += 8
    }
    while c < channels {
        let normalized = (row[c] - mean[c]) * inverseStd[c]
        xhat?[c] = normalized
        let v = normalized * scale[c] + offset[c]
        out[c] = rectified && v < 0 ? 0 : v
        c += 1
    }
}

/// mean[c] and inverseStd[c] = 1/√(var[c] + ε) of x [rows, channels]: per block of 64 rows its sum,
/// then (while it is still in L1) its squared deviations from its own mean; blocks merged exactly in
/// Double, in block order.
func batchNormStatistics(
    _ x: UnsafeBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
    inverseStd: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int, epsilon: Float
) {
    guard channels > 0, let px = x.baseAddress, let pm = mean.baseAddress, let pv = inverseStd.baseAddress else { return }
    let blocks = (rows + batchNormBlockRows - 1) / batchNormBlockRows
    // Per block: its channel sums, its mean, its sums of squared deviations from that mean.
    let slot = 3 * channels
    let scratch = Scratch()
    defer { scratch.release() }
    let partials = scratch.floats(blocks * slot)
    nonisolated(unsafe) let (sx, sm, sv, sp) = (px, pm, pv, partials.baseAddress!)
    let blocksPerChunk = max(1, 65536 / (batchNormBlockRows * channels))
    // Pass 1 over x: each block of 64 rows is summed, then (while it is still in L1) its squared
    // deviations from the block mean are summed: two passes over the block, one over memory.
    forEachChunk(blocks, chunkSize: blocksPerChunk) { range in
        for block in range {
            let sums = sp + block * slot, blockMean = sums + channels, squares = sums + 2 * channels
            blockChannelSums(sx, block: block, rows: rows, channels: channels, center: nil, into: sums)
            let count = Float(min(rows, (block + 1) * batchNormBlockRows) - block * batchNormBlockRows)
            for c in 0..<channels { blockMean[c] = sums[c] / count }
            blockChannelSums(sx, block: block, rows: rows, channels: channels, center: blockMean, into: squares)
        }
    }
    // Merge the blocks in order, in Double. With block sum Sᵦ, count nᵦ, centre aᵦ and squares Mᵦ:
    // μ = Σ Sᵦ / n and Σ(x − μ)² = Σᵦ [Mᵦ + 2dᵦ(Sᵦ − nᵦaᵦ) + nᵦdᵦ²] with dᵦ = aᵦ − μ (exact).
    for c in 0..<channels {
        var total: Double = 0
        for block in 0..<blocks { total += Double(sp[block * slot + c]) }
        let mean = total / Double(rows)
        var squares: Double = 0
        for block in 0..<blocks {
            let count = Double(min(rows, (block + 1) * batchNormBlockRows) - block * batchNormBlockRows)
            let sum = Double(sp[block * slot + c]), centre = Double(sp[block * slot + channels + c])
            let deviation = centre - mean
            squares += Double(sp[block * slot + 2 * channels + c]) + 2 * deviation * (sum - count * centre)
                + count * deviation * deviation
        }
        sm[c] = Float(mean)
        sv[c] = Float(1 / (squares / Double(rows) + Double(epsilon)).squareRoot())
    }
}

/// Rows per statistics block of `batchNormalize`.
let batchNormBlockRows = 64

/// partial[c] = Σ over the rows of `block` of x[r, c] (center == nil) or (x[r, c] − center[c])²,
/// each channel summed in row order (in registers, see `columnSums`).
@inline(__always)
func blockChannelSums(
    _ x: UnsafePointer<Float>, block: Int, rows: Int, channels: Int,
    center: UnsafeMutablePointer<Float>?, into partial: UnsafeMutablePointer<Float>
) {
    let first = block * batchNormBlockRows, last = min(first + batchNormBlockRows, rows)
    if let center {
        columnSums(SquaredDeviationColumnTerm(x: x, center: center), rows: first..<last, channels: channels, into: partial)
    } else {
        columnSums(PlainColumnTerm(x: x), rows: first..<last, channels: channels, into: partial)
    }
}

/// Plain-loop specification of `batchNormalize` (two passes, Double accumulation).
public func batchNormalizeReference(
    _ x: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?,
    into y: UnsafeMutableBufferPointer<Float>, normalized: UnsafeMutableBufferPointer<Float>? = nil,
    mean: UnsafeMutableBufferPointer<Float>, inverseStd: UnsafeMutableBufferPointer<Float>,
    rows: Int, channels: Int, epsilon: Float, rectified: Bool = false
) {
    checkBatchNormSizes(x.count, offset.count, scale?.count, y.count, mean.count, inverseStd.count, rows, channels, epsilon)
    for c in 0..<channels {
        var total: Double = 0
        for r in 0..<rows { total += Double(x[r * channels + c]) }
        let m = total / Double(rows)
        var squares: Double = 0
        for r in 0..<rows {
            let d = Double(x[r * channels + c]) - m
            squares += d * d
        }
        let variance = squares / Double(rows)
        mean[c] = Float(m)
        inverseStd[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
    }
    for r in 0..<rows {
        for c in 0..<channels {
            let xhat = (x[r * channels + c] - mean[c]) * inverseStd[c]
            normalized?[r * channels + c] = xhat
            let v = xhat * (scale?[c] ?? 1) + offset[c]
            y[r * channels + c] = rectified && v < 0 ? 0 : v
        }
    }
}

func checkBatchNormSizes(
    _ xCount: Int, _ offsetCount: Int, _ scaleCount: Int?, _ yCount: Int, _ meanCount: Int, _ invStdCount: Int,
    _ rows: Int, _ channels: Int, _ epsilon: Float
) {
    precondition(rows > 0 && channels >= 0,
                 "batchNormalize: need rows > 0 and channels >= 0, got rows \(rows) channels \(channels)")
    precondition(epsilon >= 0, "batchNormalize: epsilon must be >= 0, got \(epsilon)")
    precondition(xCount == rows * channels && yCount == rows * channels,
                 "batchNormalize: x has \(xCount) and y \(yCount) elements, expected rows \(rows) × channels \(channels)")
    precondition(
        offsetCount == channels && (scaleCount ?? channels) == channels && meanCount == channels && invStdCount == channels,
        "batchNormalize: offset \(offsetCount), scale \(scaleCount.map(String.init) ?? "nil"), mean \(meanCount), "
            + "inverseStd \(invStdCount): each must have channels = \(channels) elements")
}
