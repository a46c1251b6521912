// The adjoint of 2×2 max pooling: each pooled cotangent goes back to the input position its window
// chose, every other position gets 0. Written input row by input row in one pass, so no zero fill
// of the whole input first and no scattered writes (the generic scatter needs both).

/// x̄ [batch, height, width, channels] with x̄[argmax[i]] = ȳ[i] and 0 elsewhere, where ȳ and
/// `argmax` are `maxPool2x2`'s output shape and indices (each index in its own window, as
/// `maxPool2x2` writes them). Positions outside every window (floor mode, odd sizes) get 0.
public func maxUnpool2x2(
    _ g: UnsafeBufferPointer<Float>, argmax: UnsafeBufferPointer<Int32>, into x: UnsafeMutableBufferPointer<Float>,
    batch: Int, height: Int, width: Int, channels: Int, ceilMode: Bool = false
) {
    let outHeight = maxPool2x2OutputSize(height, ceilMode: ceilMode)
    let outWidth = maxPool2x2OutputSize(width, ceilMode: ceilMode)
    checkMaxPoolSizes(x.count, g.count, argmax.count, batch, height, width, channels, outHeight, outWidth)
    guard x.count > 0, let px = x.baseAddress else { return }
    guard let pg = g.baseAddress, let pi = argmax.baseAddress else {  // no windows: all zeros
        px.update(repeating: 0, count: x.count)
        return
    }
    nonisolated(unsafe) let (sx, sg, si) = (px, pg, pi)
    let pixels = PooledPixels(height: height, width: width, channels: channels, outHeight: outHeight, outWidth: outWidth)
    forEachChunk(batch * height, chunkSize: max(1, 8192 / max(1, width * channels))) { range in
        let first = range.lowerBound * width
        pixels.unpool(sg, argmax: si, pixels: first ..< range.upperBound * width, into: sx + first * channels)
    }
}

/// The pixels of x [batch, height, width, channels] (flat pixel index (b·height + y)·width + x) and
/// the 2×2 windows of their pooled map [batch, outHeight, outWidth, channels].
struct PooledPixels {
    let height, width, channels, outHeight, outWidth: Int

    /// x̄ rows `pixels` of maxUnpool2x2(ḡ) written to `out` (row i = pixel pixels.lowerBound + i):
    /// ḡ where argmax chose the pixel, 0 elsewhere.
    @inline(__always)
    func unpool(_ g: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, pixels: Range<Int>,
                into out: UnsafeMutablePointer<Float>) {
        forEachUnpooled(g, argmax: argmax, pixels: pixels,
                        vector: { offset, _, value in store8(value, out + offset) },
                        scalar: { offset, _, value in out[offset] = value })
    }

    /// Calls `vector(offset, c, x̄[offset ..< offset + 8])` and `scalar(offset, c, x̄[offset])` for the
    /// rows `pixels` of x̄ = maxUnpool2x2(ḡ), in memory order, where offset counts from the first
    /// pixel's channel 0 and c is the (first) channel.
    @inline(__always)
    func forEachUnpooled(_ g: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, pixels: Range<Int>,
                         vector: (Int, Int, SIMD8<Float>) -> Void, scalar: (Int, Int, Float) -> Void) {
        guard !pixels.isEmpty else { return }
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        let (imageRow, firstX) = pixels.lowerBound.quotientAndRemainder(dividingBy: width)
        var (b, iy) = imageRow.quotientAndRemainder(dividingBy: height)
        var ix = firstX
        var offset = 0
        for pixel in pixels {
            let inWindow = iy / 2 < outHeight && ix / 2 < outWidth
            let window = ((b &* outHeight &+ iy / 2) &* outWidth &+ ix / 2) &* channels
            let here = Int32(truncatingIfNeeded: pixel &* channels)  // flat index of channel 0 here
            var indices = lanes &+ SIMD8(repeating: here)  // flat indices of channels c ..< c + 8
            var c = 0
            while c + 8 <= channels {
                var value = SIMD8<Float>()
                if inWindow {
                    let chosen = load8(argmax + window + c) .== indices
                    value = value.replacing(with: load8(g + window + c), where: chosen)
                }
                vector(offset &+ c, c, value)
                indices &+= 8
                c += 8
            }
            while c < channels {
                let chosen = inWindow && argmax[window + c] == here + Int32(c)
                scalar(offset &+ c, c, chosen ? g[window + c] : 0)
                c += 1
            }
            offset &+= channels
            ix += 1
            if ix == width {
                ix = 0
                iy += 1
                if iy == height { (iy, b) = (0, b + 1) }
            }
        }
    }
}

/// Plain-loop specification of `maxUnpool2x2`: zeros, then x̄[argmax[i]] = ȳ[i].
public func maxUnpool2x2Reference(
    _ g: UnsafeBufferPointer<Float>, argmax: UnsafeBufferPointer<Int32>, into x: UnsafeMutableBufferPointer<Float>,
    batch: Int, height: Int, width: Int, channels: Int, ceilMode: Bool = false
) {
    let outHeight = maxPool2x2OutputSize(height, ceilMode: ceilMode)
    let outWidth = maxPool2x2OutputSize(width, ceilMode: ceilMode)
    checkMaxPoolSizes(x.count, g.count, argmax.count, batch, height, width, channels, outHeight, outWidth)
    for i in 0..<x.count { x[i] = 0 }
    for i in 0..<g.count { x[Int(argmax[i])] = g[i] }
}
