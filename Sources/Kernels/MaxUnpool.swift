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
    nonisolated(unsafe) let (sx, sg, si) = (px, g.baseAddress, argmax.baseAddress)
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    let rowFloats = width * channels
    forEachChunk(batch * height, chunkSize: max(1, 8192 / max(1, rowFloats))) { range in
        for inputRow in range {
            let (b, iy) = inputRow.quotientAndRemainder(dividingBy: height)
            let row = sx + inputRow * rowFloats
            guard iy / 2 < outHeight, let sg, let si else {
                row.update(repeating: 0, count: rowFloats)
                continue
            }
            for ix in 0..<width {
                let target = row + ix * channels
                guard ix / 2 < outWidth else {
                    target.update(repeating: 0, count: channels)
                    continue
                }
                let window = ((b * outHeight + iy / 2) * outWidth + ix / 2) * channels
                let here = Int32(inputRow * rowFloats + ix * channels)  // flat index of channel 0 here
                var c = 0
                while c + 8 <= channels {
                    let chosen = load8(si + window + c) .== (lanes &+ (here &+ Int32(c)))
                    store8(SIMD8<Float>(repeating: 0).replacing(with: load8(sg + window + c), where: chosen), target + c)
                    c += 8
                }
                while c < channels {
                    target[c] = si[window + c] == here + Int32(c) ? sg[window + c] : 0
                    c += 1
                }
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
