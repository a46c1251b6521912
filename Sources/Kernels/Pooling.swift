// Pooling over NHWC tensors: 2×2 max pooling with stride 2 (recording the argmax for the backward
// pass, which is `scatterAdd(dy, indices: argmax, into: dx)`), and global average pooling.

/// Output side of a 2×2 stride-2 pool: `ceilMode ? (size + 1) / 2 : size / 2`.
public func maxPool2x2OutputSize(_ size: Int, ceilMode: Bool) -> Int {
    ceilMode ? (size + 1) / 2 : size / 2
}

/// Max pool 2×2, stride 2: x [batch, height, width, channels] → y [batch, ho, wo, channels].
/// In ceil mode windows at the bottom/right edge are clipped to the input.
/// `argmax[i]` is the flat index into `x` of the element chosen for `y[i]`; on ties the first in
/// window order (top-left, top-right, bottom-left, bottom-right) wins.
public func maxPool2x2(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, argmax: UnsafeMutableBufferPointer<Int32>,
    batch: Int, height: Int, width: Int, channels: Int, ceilMode: Bool = false
) {
    let outHeight = maxPool2x2OutputSize(height, ceilMode: ceilMode)
    let outWidth = maxPool2x2OutputSize(width, ceilMode: ceilMode)
    checkMaxPoolSizes(x.count, y.count, argmax.count, batch, height, width, channels, outHeight, outWidth)
    guard y.count > 0, let px = x.baseAddress, let py = y.baseAddress, let pi = argmax.baseAddress else { return }
    nonisolated(unsafe) let (sx, sy, si) = (px, py, pi)
    let outRows = batch * outHeight
    forEachChunk(outRows, chunkSize: max(1, 8192 / max(1, outWidth * channels))) { range in
        for outRow in range {
            let (b, oy) = outRow.quotientAndRemainder(dividingBy: outHeight)
            for ox in 0..<outWidth {
                // Window positions in order, clipped at the bottom/right edge (ceil mode).
                var window = SIMD4<Int>(repeating: -1)
                var taps = 0
                for dy in 0..<2 where 2 * oy + dy < height {
                    for dx in 0..<2 where 2 * ox + dx < width {
                        window[taps] = ((b * height + 2 * oy + dy) * width + 2 * ox + dx) * channels
                        taps += 1
                    }
                }
                let out = (outRow * outWidth + ox) * channels
                maxOverWindow(sx, window: window, taps: taps, channels: channels, into: sy + out, argmax: si + out)
            }
        }
    }
}

/// For each channel c: the max of x[window[t] + c] over the first `taps` window positions and the
/// flat index (plus `indexBase`) of the first position holding it. Eight channels at a time, then a scalar tail.
@inline(__always)
func maxOverWindow(
    _ x: UnsafePointer<Float>, window: SIMD4<Int>, taps: Int, channels: Int,
    into y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, indexBase: Int = 0
) {
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    var c = 0
    while c + 8 <= channels {
        var best = load8(x + window[0] + c)
        var bestIndex = SIMD8<Int32>(repeating: Int32(indexBase + window[0] + c)) &+ lanes
        for t in 1..<max(taps, 1) {
            let v = load8(x + window[t] + c)
            let better = v .> best
            best.replace(with: v, where: better)
            bestIndex.replace(with: SIMD8<Int32>(repeating: Int32(indexBase + window[t] + c)) &+ lanes, where: better)
        }
        store8(best, y + c)
        UnsafeMutableRawPointer(argmax + c).storeBytes(of: bestIndex, as: SIMD8<Int32>.self)
        c += 8
    }
    while c < channels {
        var best = x[window[0] + c]
        var bestIndex = indexBase + window[0] + c
        for t in 1..<max(taps, 1) where x[window[t] + c] > best {
            best = x[window[t] + c]
            bestIndex = indexBase + window[t] + c
        }
        y[c] = best
        argmax[c] = Int32(bestIndex)
        c += 1
    }
}

/// Plain-loop specification of `maxPool2x2`.
public func maxPool2x2Reference(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, argmax: UnsafeMutableBufferPointer<Int32>,
    batch: Int, height: Int, width: Int, channels: Int, ceilMode: Bool = false
) {
    let outHeight = maxPool2x2OutputSize(height, ceilMode: ceilMode)
    let outWidth = maxPool2x2OutputSize(width, ceilMode: ceilMode)
    checkMaxPoolSizes(x.count, y.count, argmax.count, batch, height, width, channels, outHeight, outWidth)
    for b in 0..<batch {
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                for c in 0..<channels {
                    var best = -Float.infinity
                    var bestIndex = -1
                    for dy in 0..<2 {
                        for dx in 0..<2 {
                            let iy = 2 * oy + dy
                            let ix = 2 * ox + dx
                            if iy >= height || ix >= width { continue }
                            let index = ((b * height + iy) * width + ix) * channels + c
                            if bestIndex < 0 || x[index] > best {
                                best = x[index]
                                bestIndex = index
                            }
                        }
                    }
                    let out = ((b * outHeight + oy) * outWidth + ox) * channels + c
                    y[out] = best
                    argmax[out] = Int32(bestIndex)
                }
            }
        }
    }
}

func checkMaxPoolSizes(
    _ xCount: Int, _ yCount: Int, _ argmaxCount: Int,
    _ batch: Int, _ height: Int, _ width: Int, _ channels: Int, _ outHeight: Int, _ outWidth: Int
) {
    precondition(batch >= 0 && height >= 0 && width >= 0 && channels >= 0,
                 "maxPool2x2: negative size [\(batch), \(height), \(width), \(channels)]")
    precondition(xCount == batch * height * width * channels,
                 "maxPool2x2: x has \(xCount) elements, expected [\(batch), \(height), \(width), \(channels)]")
    let outCount = batch * outHeight * outWidth * channels
    precondition(yCount == outCount && argmaxCount == outCount,
                 "maxPool2x2: y has \(yCount) and argmax \(argmaxCount) elements, "
                    + "expected [\(batch), \(outHeight), \(outWidth), \(channels)]")
    precondition(xCount <= Int(Int32.max), "maxPool2x2: x has \(xCount) elements, more than Int32 indices can address")
}

/// Global average pool: x [batch, spatial, channels] → y [batch, channels], y[b, c] = mean over spatial.
/// Adds the spatial positions in order, row by row (the same order as the reference).
public func globalAveragePool(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, batch: Int, spatial: Int,
    channels: Int
) {
    checkAveragePoolSizes(x.count, y.count, batch, spatial, channels)
    guard y.count > 0, let px = x.baseAddress, let py = y.baseAddress else { return }
    nonisolated(unsafe) let (sx, sy) = (px, py)
    let count = Float(spatial)
    forEachChunk(batch, chunkSize: max(1, 65536 / (spatial * channels))) { range in
        for b in range {
            let image = sx + b * spatial * channels, out = sy + b * channels
            out.update(from: image, count: channels)
            for s in 1..<spatial { addFloats(from: image + s * channels, to: out, count: channels) }
            var c = 0
            while c + 8 <= channels {
                store8(load8(out + c) / count, out + c)
                c += 8
            }
            while c < channels {
                out[c] /= count
                c += 1
            }
        }
    }
}

/// Plain-loop specification of `globalAveragePool`.
public func globalAveragePoolReference(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, batch: Int, spatial: Int,
    channels: Int
) {
    checkAveragePoolSizes(x.count, y.count, batch, spatial, channels)
    for b in 0..<batch {
        for c in 0..<channels {
            var total: Float = 0
            for s in 0..<spatial { total += x[(b * spatial + s) * channels + c] }
            y[b * channels + c] = total / Float(spatial)
        }
    }
}

func checkAveragePoolSizes(_ xCount: Int, _ yCount: Int, _ batch: Int, _ spatial: Int, _ channels: Int) {
    precondition(batch >= 0 && channels >= 0 && spatial > 0,
                 "globalAveragePool: need batch, channels >= 0 and spatial > 0, "
                    + "got batch \(batch) spatial \(spatial) channels \(channels)")
    precondition(xCount == batch * spatial * channels,
                 "globalAveragePool: x has \(xCount) elements, expected [\(batch), \(spatial), \(channels)]")
    precondition(yCount == batch * channels,
                 "globalAveragePool: y has \(yCount) elements, expected [\(batch), \(channels)]")
}
