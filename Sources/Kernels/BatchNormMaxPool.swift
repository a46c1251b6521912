// Batch norm followed by 2×2 max-pool in one pass over the normalized values: y = BN(x) is computed
// two image rows at a time into a small buffer and pooled from there, so the full-size y is never
// written to memory or read back (W3's backbone: conv → batch norm → max-pool → ReLU). x̂ is still
// written for every row, for the backward pass. The same bits as `batchNormalize` then `maxPool2x2`.

/// pooled, argmax = maxPool2x2(batchNormalize(x)), with x̂ in `normalized`; x [batch, height, width,
/// channels], pooled and argmax [batch, ho, wo, channels], argmax indexing y (= x's positions).
/// `batchNormalizeMaxPool2x2Reference` (the two references composed) is the spec.
/// - Complexity: O(x.count); one statistics pass and one normalizing pass over x.
public func batchNormalizeMaxPool2x2(
    _ x: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?,
    into pooled: UnsafeMutableBufferPointer<Float>, argmax: UnsafeMutableBufferPointer<Int32>,
    normalized: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
    inverseStd: UnsafeMutableBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
    epsilon: Float, ceilMode: Bool = false
) {
    let rows = batch * height * width
    let (outHeight, outWidth) = (maxPool2x2OutputSize(height, ceilMode: ceilMode), maxPool2x2OutputSize(width, ceilMode: ceilMode))
    checkBatchNormSizes(x.count, offset.count, scale?.count, normalized.count, mean.count, inverseStd.count, rows,
                        channels, epsilon)
    checkMaxPoolSizes(x.count, pooled.count, argmax.count, batch, height, width, channels, outHeight, outWidth)
    guard channels > 0, let px = x.baseAddress, let pn = normalized.baseAddress, let pm = mean.baseAddress,
          let pv = inverseStd.baseAddress, let po = offset.baseAddress else { return }
    guard outHeight > 0 && outWidth > 0 else {  // nothing to pool: normalize only
        let scratch = Scratch()
        defer { scratch.release() }
        let y = scratch.floats(x.count)
        batchNormalize(x, offset: offset, scale: scale, into: y, normalized: normalized, mean: mean, inverseStd: inverseStd,
                       rows: rows, channels: channels, epsilon: epsilon)
        return
    }
    batchNormStatistics(x, mean: mean, inverseStd: inverseStd, rows: rows, channels: channels, epsilon: epsilon)
    let scratch = Scratch()
    defer { scratch.release() }
    let gain = scratch.floats(channels)
    for c in 0..<channels { gain[c] = scale?[c] ?? 1 }
    nonisolated(unsafe) let (sx, sn, sm, sv, so, sg) = (px, pn, pm, pv, po, gain.baseAddress!)
    nonisolated(unsafe) let (sy, si) = (pooled.baseAddress!, argmax.baseAddress!)
    let rowFloats = width * channels
    // Each pooled row normalizes its (up to) two input rows, plus, for an image's last pooled row in
    // floor mode, a leftover odd row: every row of x̂ is written exactly once.
    forEachChunk(batch * outHeight, chunkSize: max(1, 8192 / max(1, 2 * rowFloats))) { range in
        let room = Scratch()
        defer { room.release() }
        let window = room.floats(2 * rowFloats).baseAddress!  // y of the two rows
        for outRow in range {
            let (b, oy) = outRow.quotientAndRemainder(dividingBy: outHeight)
            let firstRow = 2 * oy, pooledEnd = min(height, firstRow + 2)
            /// x̂ of input row iy into `normalized`, its y into `target`.
            func normalizeImageRow(_ iy: Int, into target: UnsafeMutablePointer<Float>) {
                let offset = (b * height + iy) * rowFloats
                for ix in 0..<width {
                    normalizeRow(sx + offset + ix * channels, channels: channels, mean: sm, inverseStd: sv, scale: sg,
                                 offset: so, normalized: sn + offset + ix * channels, into: target + ix * channels,
                                 rectified: false)
                }
            }
            for iy in firstRow..<pooledEnd { normalizeImageRow(iy, into: window + (iy - firstRow) * rowFloats) }
            let base = (b * height + firstRow) * rowFloats
            for ox in 0..<outWidth {
                var taps = SIMD4<Int>(repeating: -1)
                var count = 0
                for dy in 0..<2 where firstRow + dy < height {
                    for dx in 0..<2 where 2 * ox + dx < width {
                        taps[count] = (dy * width + 2 * ox + dx) * channels
                        count += 1
                    }
                }
                let out = (outRow * outWidth + ox) * channels
                maxOverWindow(window, window: taps, taps: count, channels: channels, into: sy + out, argmax: si + out,
                              indexBase: base)
            }
            if oy == outHeight - 1 {  // floor mode, odd height: the last row is normalized but not pooled
                for iy in pooledEnd..<height { normalizeImageRow(iy, into: window) }
            }
        }
    }
}

/// `batchNormalizeReference` then `maxPool2x2Reference`: the specification of `batchNormalizeMaxPool2x2`.
public func batchNormalizeMaxPool2x2Reference(
    _ x: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?,
    into pooled: UnsafeMutableBufferPointer<Float>, argmax: UnsafeMutableBufferPointer<Int32>,
    normalized: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>,
    inverseStd: UnsafeMutableBufferPointer<Float>, batch: Int, height: Int, width: Int, channels: Int,
    epsilon: Float, ceilMode: Bool = false
) {
    let y = UnsafeMutableBufferPointer<Float>.allocate(capacity: x.count)
    defer { y.deallocate() }
    batchNormalizeReference(x, offset: offset, scale: scale, into: y, normalized: normalized, mean: mean,
                            inverseStd: inverseStd, rows: batch * height * width, channels: channels, epsilon: epsilon)
    maxPool2x2Reference(UnsafeBufferPointer(y), into: pooled, argmax: argmax, batch: batch, height: height, width: width,
                        channels: channels, ceilMode: ceilMode)
}
