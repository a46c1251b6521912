// Per-channel operations on x [rows, channels] (NHWC flattened): the pieces of a fused batch norm
// and of its exact derivatives. Each row is processed with 8-wide SIMD over the channels; channel
// sums use fixed row blocks added in a fixed order (deterministic for any thread count).

/// out[r, c] (+)= x[r, c]·scale[c] + shift[c]; a nil scale means 1, a nil shift means 0.
/// - Complexity: O(rows·channels), one pass.
public func channelScaleShift(
    _ x: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?, shift: UnsafeBufferPointer<Float>?,
    into out: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int, accumulate: Bool = false
) {
    channelScaleShift([ScaleShiftTerm(x, scale: scale, shift: shift)], into: out, rows: rows, channels: channels,
                      accumulate: accumulate)
}

/// One term of `channelScaleShift`: x[r, c]·scale[c] + shift[c].
public struct ScaleShiftTerm {
    public let x: UnsafeBufferPointer<Float>
    public let scale: UnsafeBufferPointer<Float>?
    public let shift: UnsafeBufferPointer<Float>?
    public init(_ x: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?, shift: UnsafeBufferPointer<Float>?) {
        (self.x, self.scale, self.shift) = (x, scale, shift)
    }
}

/// out[r, c] (+)= Σₜ xₜ[r, c]·scaleₜ[c] + shiftₜ[c], the terms added in order: the same bits as one
/// call per term (accumulating after the first), but all terms are applied to a few rows of out at
/// a time, so out is written once instead of once per term. With a `mask`, the result is kept only
/// where mask > 0 (0 elsewhere): the bits of `keepWherePositive` afterwards, without its pass
/// (the tangent of batch norm + ReLU).
/// - Complexity: O(terms·rows·channels), one pass over each input.
public func channelScaleShift(
    _ terms: [ScaleShiftTerm], into out: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int,
    accumulate: Bool = false, keepingWherePositive mask: UnsafeBufferPointer<Float>? = nil
) {
    precondition((mask?.count ?? out.count) == out.count, "channelScaleShift: the mask has \(mask?.count ?? 0) elements, out \(out.count)")
    for t in terms {
        precondition(t.x.count == rows * channels && out.count == rows * channels && (t.scale?.count ?? channels) == channels
                     && (t.shift?.count ?? channels) == channels, "channelScaleShift: sizes do not match [\(rows), \(channels)]")
    }
    guard rows > 0, channels > 0, !terms.isEmpty else { return }
    nonisolated(unsafe) let (shared, po, pm) = (terms, out.baseAddress!, mask?.baseAddress)
    forEachRowBlock(rows: rows, channels: channels) { range in
        for (index, t) in shared.enumerated() {
            let (px, ps, pt) = (t.x.baseAddress!, t.scale?.baseAddress, t.shift?.baseAddress)
            let add = accumulate || index > 0
            let rowMask = index == shared.count - 1 ? pm : nil  // applied to the finished sum
            for r in range {
                let row = px + r * channels, target = po + r * channels
                var c = 0
                while c + 8 <= channels {
                    var v = load8(row + c)
                    if let ps { v *= load8(ps + c) }
                    if let pt { v += load8(pt + c) }
                    if add { v += load8(target + c) }
                    if let rowMask { v = SIMD8<Float>(repeating: 0).replacing(with: v, where: load8(rowMask + r * channels + c) .> 0) }
                    store8(v, target + c)
                    c += 8
                }
                while c < channels {
                    var v = row[c] * (ps?[c] ?? 1) + (pt?[c] ?? 0)
                    if add { v += target[c] }
                    if let rowMask, !(rowMask[r * channels + c] > 0) { v = 0 }
                    target[c] = v
                    c += 1
                }
            }
        }
    }
}

/// out[r, c] (+)= gain[c]·(a[r, c] − m1[c] − xhat[r, c]·m2[c]).
///
/// The shape shared by batch norm's tangent, dx̂ = s(dx − mean(dx) − x̂·mean(x̂ dx)), and its
/// backward pass, x̄ = γs(ḡ − mean(ḡ) − x̂·mean(ḡ x̂)).
/// - Complexity: O(rows·channels), one pass.
public func channelCenteredScale(
    _ a: UnsafeBufferPointer<Float>, mean1 m1: UnsafeBufferPointer<Float>, xhat: UnsafeBufferPointer<Float>,
    mean2 m2: UnsafeBufferPointer<Float>, gain: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int, accumulate: Bool = false
) {
    channelCenteredScale([CenteredScaleTerm(a, mean1: m1, xhat: xhat, mean2: m2, gain: gain)], into: out, rows: rows,
                         channels: channels, accumulate: accumulate)
}

/// One term of `channelCenteredScale`: gain[c]·(a[r, c] − m1[c] − xhat[r, c]·m2[c]).
///
/// With a `mask`, a[r, c] counts only where mask[r, c] > 0 (0 elsewhere): batch norm's backward
/// pass after a ReLU takes ḡ masked by the ReLU's output without the masked ḡ being stored. The
/// same bits as `keepWherePositive(a, where: mask)` followed by the unmasked term.
public struct CenteredScaleTerm {
    public let a, mean1, xhat, mean2, gain: UnsafeBufferPointer<Float>
    public let mask: UnsafeBufferPointer<Float>?
    public init(_ a: UnsafeBufferPointer<Float>, mean1: UnsafeBufferPointer<Float>, xhat: UnsafeBufferPointer<Float>,
                mean2: UnsafeBufferPointer<Float>, gain: UnsafeBufferPointer<Float>,
                keepingWherePositive mask: UnsafeBufferPointer<Float>? = nil) {
        (self.a, self.mean1, self.xhat, self.mean2, self.gain, self.mask) = (a, mean1, xhat, mean2, gain, mask)
    }
}

/// out[r, c] (+)= Σₜ termₜ[r, c], the terms added in order: the same bits as one call per term
/// (accumulating after the first), with out written once (batch norm's HVP sums three terms).
/// - Complexity: O(terms·rows·channels), one pass over each input.
public func channelCenteredScale(
    _ terms: [CenteredScaleTerm], into out: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int,
    accumulate: Bool = false
) {
    for t in terms {
        precondition(t.a.count == rows * channels && t.xhat.count == rows * channels && out.count == rows * channels
                     && t.mean1.count == channels && t.mean2.count == channels && t.gain.count == channels
                     && (t.mask?.count ?? t.a.count) == t.a.count,
                     "channelCenteredScale: sizes do not match [\(rows), \(channels)]")
    }
    guard rows > 0, channels > 0, !terms.isEmpty else { return }
    nonisolated(unsafe) let (shared, po) = (terms, out.baseAddress!)
    forEachRowBlock(rows: rows, channels: channels) { range in
        for (index, t) in shared.enumerated() {
            let (pa, pm1, px, pm2, pg) =
                (t.a.baseAddress!, t.mean1.baseAddress!, t.xhat.baseAddress!, t.mean2.baseAddress!, t.gain.baseAddress!)
            let start = range.lowerBound * channels
            let add = accumulate || index > 0
            if let mask = t.mask?.baseAddress {
                centeredScaleRows(MaskedRowValues(x: pa + start, mask: mask + start), mean1: pm1, xhat: px + start,
                                  mean2: pm2, gain: pg, into: po + start, rows: range.count, channels: channels, add: add)
            } else {
                centeredScaleRows(pa + start, mean1: pm1, xhat: px + start, mean2: pm2, gain: pg, into: po + start,
                                  rows: range.count, channels: channels, add: add)
            }
        }
    }
}

/// out[r, c] (+ when `add`)= gain[c]·(a[r, c] − m1[c] − xhat[r, c]·m2[c]) for r in 0..<rows: the row loop
/// of `channelCenteredScale` (`batchNormMaxUnpoolBackward` writes the same formula in the same order).
/// a[r, c] is read through `pa`: stored as it is (a pointer), or masked by a ReLU's output.
@inline(__always)
func centeredScaleRows<Values: RowValues>(
    _ pa: Values, mean1 pm1: UnsafePointer<Float>, xhat px: UnsafePointer<Float>,
    mean2 pm2: UnsafePointer<Float>, gain pg: UnsafePointer<Float>, into po: UnsafeMutablePointer<Float>,
    rows: Int, channels: Int, add: Bool
) {
    for r in 0..<rows {
        let offset = r * channels
        var c = 0
        while c + 8 <= channels {
            let centered = pa.vector(at: offset + c) - load8(pm1 + c) - load8(px + offset + c) * load8(pm2 + c)
            var v = load8(pg + c) * centered
            if add { v += load8(po + offset + c) }
            store8(v, po + offset + c)
            c += 8
        }
        while c < channels {
            var v = pg[c] * (pa.scalar(at: offset + c) - pm1[c] - px[offset + c] * pm2[c])
            if add { v += po[offset + c] }
            po[offset + c] = v
            c += 1
        }
    }
}

/// Runs `body` on blocks of rows of about 2048 floats (8 KiB: the block of out stays in L1 while
/// every term is added to it), the blocks in parallel chunks of about 32768 floats.
private func forEachRowBlock(rows: Int, channels: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let blockRows = max(1, 2048 / channels)
    forEachChunk(rows, chunkSize: max(1, 32768 / channels)) { chunk in
        for start in stride(from: chunk.lowerBound, to: chunk.upperBound, by: blockRows) {
            body(start ..< min(chunk.upperBound, start + blockRows))
        }
    }
}

/// out[c] = Σᵣ a[r, c]·b[r, c] (b nil: Σᵣ a[r, c]). Blocks of 64 rows summed in Float lanes, block
/// sums added in Double in block order.
/// - Complexity: O(rows·channels).
public func channelSums(
    _ a: UnsafeBufferPointer<Float>, times b: UnsafeBufferPointer<Float>?, into out: UnsafeMutableBufferPointer<Float>,
    rows: Int, channels: Int
) {
    precondition(a.count == rows * channels && (b?.count ?? a.count) == a.count && out.count == channels,
                 "channelSums: sizes do not match [\(rows), \(channels)]")
    if let b {
        channelSums(a, b, plain: nil, products: out, rows: rows, channels: channels)
    } else {
        channelSums(a, nil, plain: out, products: nil, rows: rows, channels: channels)
    }
}

/// sums[c] = Σᵣ a[r, c] and productSums[c] = Σᵣ a[r, c]·b[r, c] in one pass over a: the same bits
/// as two `channelSums` calls (batch norm needs both sums of ḡ, and of its tangent).
///
/// With a `mask`, a[r, c] counts only where mask[r, c] > 0: the same bits as summing
/// `keepWherePositive(a, where: mask)`, which is never stored (batch norm's backward after a ReLU).
/// - Complexity: O(rows·channels).
public func channelSums(
    _ a: UnsafeBufferPointer<Float>, andProductsWith b: UnsafeBufferPointer<Float>,
    sums: UnsafeMutableBufferPointer<Float>, productSums: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int,
    keepingWherePositive mask: UnsafeBufferPointer<Float>? = nil
) {
    precondition(a.count == rows * channels && b.count == a.count && sums.count == channels
                 && productSums.count == channels && (mask?.count ?? a.count) == a.count,
                 "channelSums: sizes do not match [\(rows), \(channels)]")
    if let pm = mask?.baseAddress, let pa = a.baseAddress {  // (empty buffers have no address: no rows to mask)
        channelSums(MaskedRowValues(x: pa, mask: pm), b, plain: sums, products: productSums, rows: rows,
                    channels: channels)
    } else {
        channelSums(a, b, plain: sums, products: productSums, rows: rows, channels: channels)
    }
}

/// Rows per block of `channelSums` (each block summed in Float, the blocks in Double).
let channelSumBlockRows = 64

/// The pass behind both: per block of 64 rows, Float partials of a (if `plain`) and of a·b (if
/// `products`), each summed in row order (the block is in L1 for the second); then each channel's
/// block partials added in Double, in block order.
private func channelSums(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>?,
    plain: UnsafeMutableBufferPointer<Float>?, products: UnsafeMutableBufferPointer<Float>?, rows: Int, channels: Int
) {
    guard rows > 0 && channels > 0 else {
        plain.map { $0.update(repeating: 0) }
        products.map { $0.update(repeating: 0) }
        return
    }
    channelSums(a.baseAddress!, b, plain: plain, products: products, rows: rows, channels: channels)
}

private func channelSums<Values: RowValues>(
    _ a: Values, _ b: UnsafeBufferPointer<Float>?,
    plain: UnsafeMutableBufferPointer<Float>?, products: UnsafeMutableBufferPointer<Float>?, rows: Int, channels: Int
) {
    guard channels > 0 else { return }
    let blockRows = channelSumBlockRows, blocks = (rows + blockRows - 1) / blockRows
    let outputs = (plain == nil ? 0 : 1) + (products == nil ? 0 : 1)
    let stride = outputs * channels  // a block's partials: plain sums first, then product sums
    let scratch = Scratch()
    defer { scratch.release() }
    let partials = scratch.floats(max(1, blocks) * stride)
    let productOffset = plain == nil ? 0 : channels
    nonisolated(unsafe) let (pa, pb, pp) = (a, b?.baseAddress, partials.baseAddress!)
    let (sumsPlain, sumsProducts) = (plain != nil, products != nil)
    forEachChunk(blocks, chunkSize: max(1, 65536 / (blockRows * stride))) { range in
        for block in range {
            let partial = pp + block * stride
            let blockRange = (block * blockRows)..<min(rows, (block + 1) * blockRows)
            if sumsPlain && sumsProducts {
                columnSumsWithProducts(pa, pb!, rows: blockRange, channels: channels, sums: partial,
                                       productSums: partial + productOffset)
            } else if sumsPlain {
                columnSums(PlainColumnTerm(x: pa), rows: blockRange, channels: channels, into: partial)
            } else {
                columnSums(ProductColumnTerm(a: pa, b: pb!), rows: blockRange, channels: channels, into: partial)
            }
        }
    }
    for (out, first) in [(plain, 0), (products, productOffset)] {
        guard let out else { continue }
        addBlockPartials(pp + first, blocks: blocks, stride: stride, channels: channels, into: out.baseAddress!)
    }
}

/// out[c] = Σ_block partials[block·stride + c], added in Double in block order.
func addBlockPartials(_ partials: UnsafePointer<Float>, blocks: Int, stride: Int, channels: Int,
                      into out: UnsafeMutablePointer<Float>) {
    for c in 0..<channels {
        var total: Double = 0
        for block in 0..<blocks { total += Double(partials[block * stride + c]) }
        out[c] = Float(total)
    }
}

// MARK: - References (plain loops, the specification of the kernels above)

public func channelScaleShiftReference(
    _ x: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?, shift: UnsafeBufferPointer<Float>?,
    into out: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int, accumulate: Bool = false
) {
    for r in 0..<rows {
        for c in 0..<channels {
            let v = x[r * channels + c] * (scale?[c] ?? 1) + (shift?[c] ?? 0)
            out[r * channels + c] = accumulate ? out[r * channels + c] + v : v
        }
    }
}

public func channelCenteredScaleReference(
    _ a: UnsafeBufferPointer<Float>, mean1 m1: UnsafeBufferPointer<Float>, xhat: UnsafeBufferPointer<Float>,
    mean2 m2: UnsafeBufferPointer<Float>, gain: UnsafeBufferPointer<Float>,
    into out: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int, accumulate: Bool = false
) {
    for r in 0..<rows {
        for c in 0..<channels {
            let i = r * channels + c
            let v = gain[c] * (a[i] - m1[c] - xhat[i] * m2[c])
            out[i] = accumulate ? out[i] + v : v
        }
    }
}

public func channelSumsReference(
    _ a: UnsafeBufferPointer<Float>, times b: UnsafeBufferPointer<Float>?, into out: UnsafeMutableBufferPointer<Float>,
    rows: Int, channels: Int
) {
    for c in 0..<channels {
        var total: Double = 0
        for r in 0..<rows { total += Double(a[r * channels + c]) * Double(b?[r * channels + c] ?? 1) }
        out[c] = Float(total)
    }
}

public func channelSumsReference(
    _ a: UnsafeBufferPointer<Float>, andProductsWith b: UnsafeBufferPointer<Float>,
    sums: UnsafeMutableBufferPointer<Float>, productSums: UnsafeMutableBufferPointer<Float>, rows: Int, channels: Int
) {
    channelSumsReference(a, times: nil, into: sums, rows: rows, channels: channels)
    channelSumsReference(a, times: b, into: productSums, rows: rows, channels: channels)
}
