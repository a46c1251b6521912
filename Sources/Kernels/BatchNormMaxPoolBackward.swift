// The backward pass of batch norm followed by 2×2 max-pool, without the full-size unpooled ḡ.
// ḡ = maxUnpool2x2(ȳ) is mostly zeros; here each block of 64 of its rows is made in a small buffer
// (in L1) when it is needed and dropped, instead of being written to memory and read back twice.
// The same bits as `maxUnpool2x2`, then `channelSums(_:andProductsWith:…)`, then
// `channelCenteredScale`: the same row blocks, the same sums in the same order.

/// With ḡ = maxUnpool2x2(ȳ, argmax) [batch·height·width, channels] and n its row count:
///
///     sums[c] = Σᵣ ḡ[r, c],   productSums[c] = Σᵣ ḡ[r, c]·x̂[r, c],
///     x̄[r, c] = gain[c]·(ḡ[r, c] − sums[c]/n − x̂[r, c]·productSums[c]/n)
///
/// which is batch norm's x̄ = γs(ḡ − mean ḡ − x̂·mean(ḡx̂)) with gain = γs. ȳ and argmax are
/// `batchNormalizeMaxPool2x2`'s pooled shape and indices; x̂ is its `normalized`.
/// - Complexity: O(x̂.count); two passes over x̂, one write of x̄, ȳ and argmax read twice.
///   Pass 1 makes each 64-row block of ḡ in a small buffer (`channelSums`' blocks, for the same
///   bits); pass 2 makes ḡ a vector at a time inside x̄'s formula.
public func batchNormMaxUnpoolBackward(
    _ g: UnsafeBufferPointer<Float>, argmax: UnsafeBufferPointer<Int32>, xhat: UnsafeBufferPointer<Float>,
    gain: UnsafeBufferPointer<Float>, sums: UnsafeMutableBufferPointer<Float>,
    productSums: UnsafeMutableBufferPointer<Float>, into xBar: UnsafeMutableBufferPointer<Float>,
    batch: Int, height: Int, width: Int, channels: Int, ceilMode: Bool = false
) {
    let (outHeight, outWidth) = (maxPool2x2OutputSize(height, ceilMode: ceilMode), maxPool2x2OutputSize(width, ceilMode: ceilMode))
    checkMaxPoolSizes(xhat.count, g.count, argmax.count, batch, height, width, channels, outHeight, outWidth)
    let rows = batch * height * width
    precondition(rows > 0 && xBar.count == xhat.count && gain.count == channels && sums.count == channels
                 && productSums.count == channels,
                 "batchNormMaxUnpoolBackward: sizes do not match [\(batch), \(height), \(width), \(channels)]")
    guard channels > 0 else { return }
    let pixels = PooledPixels(height: height, width: width, channels: channels, outHeight: outHeight, outWidth: outWidth)
    let scratch = Scratch()
    defer { scratch.release() }
    let emptyWindows = scratch.floats(1).baseAddress!, noIndices = scratch.take(1, of: Int32.self).baseAddress!
    nonisolated(unsafe) let (pg, pi) = (g.baseAddress ?? UnsafePointer(emptyWindows), argmax.baseAddress ?? UnsafePointer(noIndices))
    nonisolated(unsafe) let (px, pout) = (xhat.baseAddress!, xBar.baseAddress!)
    let blockRows = channelSumBlockRows, blocks = (rows + blockRows - 1) / blockRows
    let chunkBlocks = max(1, 65536 / (blockRows * 2 * channels))

    /// Runs `body(block, its ḡ rows)` for every block, blocks in parallel chunks.
    func forEachUnpooledBlock(_ body: @Sendable (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        forEachChunk(blocks, chunkSize: chunkBlocks) { range in
            let room = Scratch()
            defer { room.release() }
            let buffer = room.floats(blockRows * channels).baseAddress!
            for block in range {
                let rowRange = block * blockRows ..< min(rows, (block + 1) * blockRows)
                pixels.unpool(pg, argmax: pi, pixels: rowRange, into: buffer)
                body(block, rowRange, buffer)
            }
        }
    }

    // Pass 1: per block, Float sums of ḡ and of ḡ·x̂ (`channelSums`' blocks), then in Double.
    let stride = 2 * channels
    let partials = scratch.floats(blocks * stride).baseAddress!
    nonisolated(unsafe) let sp = partials
    forEachUnpooledBlock { block, rowRange, gBlock in
        let count = rowRange.count
        columnSumsWithProducts(UnsafePointer(gBlock), px + rowRange.lowerBound * channels, rows: 0..<count,
                               channels: channels, sums: sp + block * stride, productSums: sp + block * stride + channels)
    }
    addBlockPartials(partials, blocks: blocks, stride: stride, channels: channels, into: sums.baseAddress!)
    addBlockPartials(partials + channels, blocks: blocks, stride: stride, channels: channels,
                     into: productSums.baseAddress!)

    // Pass 2: x̄ = gain·(ḡ − m₁ − x̂·m₂), the means scaled as `scale` does.
    let means = scratch.floats(2 * channels)
    let inverseCount = 1 / Float(rows)
    scale(UnsafeBufferPointer(sums), by: inverseCount, into: UnsafeMutableBufferPointer(rebasing: means[0..<channels]))
    scale(UnsafeBufferPointer(productSums), by: inverseCount,
          into: UnsafeMutableBufferPointer(rebasing: means[channels ..< 2 * channels]))
    // ḡ is not stored here: each vector of it goes straight into `centeredScaleRows`' formula.
    nonisolated(unsafe) let (m1, m2, k) = (UnsafePointer(means.baseAddress!), UnsafePointer(means.baseAddress! + channels),
                                           gain.baseAddress!)
    forEachChunk(batch * height, chunkSize: max(1, 8192 / max(1, width * channels))) { range in
        let first = range.lowerBound * width
        let (x, out) = (px + first * channels, pout + first * channels)
        pixels.forEachUnpooled(pg, argmax: pi, pixels: first ..< range.upperBound * width, vector: { offset, c, a in
            store8(load8(k + c) * (a - load8(m1 + c) - load8(x + offset) * load8(m2 + c)), out + offset)
        }, scalar: { offset, c, a in
            out[offset] = k[c] * (a - m1[c] - x[offset] * m2[c])
        })
    }
}

/// Plain-loop specification: the three references composed.
public func batchNormMaxUnpoolBackwardReference(
    _ g: UnsafeBufferPointer<Float>, argmax: UnsafeBufferPointer<Int32>, xhat: UnsafeBufferPointer<Float>,
    gain: UnsafeBufferPointer<Float>, sums: UnsafeMutableBufferPointer<Float>,
    productSums: UnsafeMutableBufferPointer<Float>, into xBar: UnsafeMutableBufferPointer<Float>,
    batch: Int, height: Int, width: Int, channels: Int, ceilMode: Bool = false
) {
    let rows = batch * height * width
    var unpooled = [Float](repeating: 0, count: xhat.count)
    var means = [Float](repeating: 0, count: 2 * channels)
    unpooled.withUnsafeMutableBufferPointer { u in
        maxUnpool2x2Reference(g, argmax: argmax, into: u, batch: batch, height: height, width: width, channels: channels,
                              ceilMode: ceilMode)
    }
    unpooled.withUnsafeBufferPointer { u in
        channelSumsReference(u, andProductsWith: xhat, sums: sums, productSums: productSums, rows: rows, channels: channels)
        for c in 0..<channels {
            means[c] = sums[c] / Float(rows)
            means[channels + c] = productSums[c] / Float(rows)
        }
        means.withUnsafeBufferPointer { m in
            channelCenteredScaleReference(u, mean1: UnsafeBufferPointer(rebasing: m[0..<channels]), xhat: xhat,
                                          mean2: UnsafeBufferPointer(rebasing: m[channels...]), gain: gain, into: xBar,
                                          rows: rows, channels: channels)
        }
    }
}
