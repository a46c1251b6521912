// The backward pass of batch norm followed by ReLU, without the masked ḡ: ḡ = g where y > 0 (else 0)
// is made element by element inside the sums and inside x̄'s formula, never written.
// The same bits as `keepWherePositive`, then `channelSums(_:andProductsWith:…)`, then
// `channelCenteredScale`: the same row blocks, the same sums in the same order.

/// With ḡ = (g where y > 0, else 0) [rows, channels]:
///
///     sums[c] = Σᵣ ḡ[r, c],   productSums[c] = Σᵣ ḡ[r, c]·x̂[r, c],
///     x̄[r, c] = gain[c]·(ḡ[r, c] − sums[c]/rows − x̂[r, c]·productSums[c]/rows)
///
/// which is batch norm's x̄ = γs(ḡ − mean ḡ − x̂·mean(ḡx̂)) with gain = γs, y = ReLU(BN(x)) the
/// forward output and x̂ its normalized input.
/// - Complexity: O(rows·channels); two passes over g, y and x̂, one write of x̄.
public func batchNormReLUBackward(
    _ g: UnsafeBufferPointer<Float>, output y: UnsafeBufferPointer<Float>, xhat: UnsafeBufferPointer<Float>,
    gain: UnsafeBufferPointer<Float>, sums: UnsafeMutableBufferPointer<Float>,
    productSums: UnsafeMutableBufferPointer<Float>, into xBar: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int
) {
    precondition(rows > 0 && g.count == rows * channels && y.count == g.count && xhat.count == g.count
                 && xBar.count == g.count && gain.count == channels && sums.count == channels
                 && productSums.count == channels, "batchNormReLUBackward: sizes do not match [\(rows), \(channels)]")
    guard channels > 0 else { return }
    nonisolated(unsafe) let (pg, py, px, pout) = (g.baseAddress!, y.baseAddress!, xhat.baseAddress!, xBar.baseAddress!)

    // Pass 1: per block, Float sums of ḡ and of ḡ·x̂ (`channelSums`' blocks), then in Double.
    let blockRows = channelSumBlockRows, blocks = (rows + blockRows - 1) / blockRows
    let stride = 2 * channels
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: blocks * stride)
    defer { partials.deallocate() }
    nonisolated(unsafe) let sp = partials
    forEachChunk(blocks, chunkSize: max(1, 65536 / (blockRows * stride))) { range in
        for block in range {
            let rowRange = block * blockRows ..< min(rows, (block + 1) * blockRows)
            columnSums(MaskedColumnTerm(a: pg, y: py), rows: rowRange, channels: channels, into: sp + block * stride)
            columnSums(MaskedProductColumnTerm(a: pg, y: py, b: px), rows: rowRange, channels: channels,
                       into: sp + block * stride + channels)
        }
    }
    addBlockPartials(partials, blocks: blocks, stride: stride, channels: channels, into: sums.baseAddress!)
    addBlockPartials(partials + channels, blocks: blocks, stride: stride, channels: channels,
                     into: productSums.baseAddress!)

    // Pass 2: x̄ = gain·(ḡ − m₁ − x̂·m₂), the means scaled as `scale` does, in `centeredScaleRows`' order.
    let means = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * channels)
    defer { means.deallocate() }
    scale(UnsafeBufferPointer(sums), by: 1 / Float(rows), into: UnsafeMutableBufferPointer(rebasing: means[0..<channels]))
    scale(UnsafeBufferPointer(productSums), by: 1 / Float(rows),
          into: UnsafeMutableBufferPointer(rebasing: means[channels ..< 2 * channels]))
    nonisolated(unsafe) let (m1, m2, k) = (UnsafePointer(means.baseAddress!), UnsafePointer(means.baseAddress! + channels),
                                           gain.baseAddress!)
    forEachChunk(rows, chunkSize: max(1, 32768 / channels)) { range in
        for r in range {
            let offset = r * channels
            var c = 0
            while c + 8 <= channels {
                let a = SIMD8<Float>(repeating: 0).replacing(with: load8(pg + offset + c), where: load8(py + offset + c) .> 0)
                store8(load8(k + c) * (a - load8(m1 + c) - load8(px + offset + c) * load8(m2 + c)), pout + offset + c)
                c += 8
            }
            while c < channels {
                let a = py[offset + c] > 0 ? pg[offset + c] : 0
                pout[offset + c] = k[c] * (a - m1[c] - px[offset + c] * m2[c])
                c += 1
            }
        }
    }
}

/// Plain-loop specification: the mask, then the references of the sums and of x̄.
public func batchNormReLUBackwardReference(
    _ g: UnsafeBufferPointer<Float>, output y: UnsafeBufferPointer<Float>, xhat: UnsafeBufferPointer<Float>,
    gain: UnsafeBufferPointer<Float>, sums: UnsafeMutableBufferPointer<Float>,
    productSums: UnsafeMutableBufferPointer<Float>, into xBar: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int
) {
    let masked = (0..<g.count).map { y[$0] > 0 ? g[$0] : 0 }
    var means = [Float](repeating: 0, count: 2 * channels)
    masked.withUnsafeBufferPointer { m in
        channelSumsReference(m, andProductsWith: xhat, sums: sums, productSums: productSums, rows: rows, channels: channels)
        for c in 0..<channels {
            means[c] = sums[c] / Float(rows)
            means[channels + c] = productSums[c] / Float(rows)
        }
        means.withUnsafeBufferPointer { mean in
            channelCenteredScaleReference(m, mean1: UnsafeBufferPointer(rebasing: mean[0..<channels]), xhat: xhat,
                                          mean2: UnsafeBufferPointer(rebasing: mean[channels...]), gain: gain,
                                          into: xBar, rows: rows, channels: channels)
        }
    }
}
