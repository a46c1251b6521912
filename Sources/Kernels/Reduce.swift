// Reductions: whole-buffer sum and dot product, and sums over one axis of a [outer, axis, inner] view.
// Summation order is fixed by the sizes alone (never by the thread count), so results are reproducible:
// blocks of 256 summed in Float lanes, block totals added in Double, chunks of 64K combined in order.

/// Elements per parallel chunk of `sum` and `dot`.
let reductionChunk = 1 << 16

/// Σ x[i]: Float partial sums over blocks of 256, accumulated in Double.
public func sum(_ x: UnsafeBufferPointer<Float>) -> Float {
    guard let px = x.baseAddress else { return 0 }
    nonisolated(unsafe) let sx = px
    return Float(chunkedTotal(x.count) { range in blockSum(sx + range.lowerBound, nil, count: range.count) })
}

/// Σ a[i]·b[i], in the same order as `sum`.
public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "dot: a has \(a.count) elements but b has \(b.count)")
    guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    nonisolated(unsafe) let (sa, sb) = (pa, pb)
    return Float(chunkedTotal(a.count) { range in
        blockSum(sa + range.lowerBound, sb + range.lowerBound, count: range.count)
    })
}

/// Plain-loop specification of `sum`: Double accumulation in index order.
public func sumReference(_ x: UnsafeBufferPointer<Float>) -> Float {
    var total: Double = 0
    for v in x { total += Double(v) }
    return Float(total)
}

/// Plain-loop specification of `dot`: Double accumulation in index order.
public func dotReference(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "dot: a has \(a.count) elements but b has \(b.count)")
    var total: Double = 0
    for i in 0..<a.count { total += Double(a[i]) * Double(b[i]) }
    return Float(total)
}

/// Splits 0..<count into `reductionChunk` ranges, totals each with `partial` in parallel and adds
/// the chunk totals in order.
func chunkedTotal(_ count: Int, _ partial: @Sendable (Range<Int>) -> Double) -> Double {
    let chunks = (count + reductionChunk - 1) / reductionChunk
    if chunks <= 1 { return count == 0 ? 0 : partial(0..<count) }
    let scratch = Scratch()
    defer { scratch.release() }
    let totals = scratch.take(chunks, of: Double.self)
    nonisolated(unsafe) let st = totals
    forEachChunk(count, chunkSize: reductionChunk) { range in st[range.lowerBound / reductionChunk] = partial(range) }
    return totals.reduce(0, +)
}

/// Σ a[i] (or Σ a[i]·b[i] when `b` is given) over `count` elements: four 8-lane Float accumulators
/// per block of 256, block totals added in Double.
@inline(__always)
func blockSum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, count: Int) -> Double {
    var total: Double = 0
    var start = 0
    while start < count {
        let end = min(start + 256, count)
        var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var i = start
        if let b {
            while i + 32 <= end {
                s0 = s0.plusProduct(load8(a + i), load8(b + i))
                s1 = s1.plusProduct(load8(a + i + 8), load8(b + i + 8))
                s2 = s2.plusProduct(load8(a + i + 16), load8(b + i + 16))
                s3 = s3.plusProduct(load8(a + i + 24), load8(b + i + 24))
                i += 32
            }
            while i < end { s0[0] += a[i] * b[i]; i += 1 }
        } else {
            while i + 32 <= end {
                s0 += load8(a + i)
                s1 += load8(a + i + 8)
                s2 += load8(a + i + 16)
                s3 += load8(a + i + 24)
                i += 32
            }
            while i < end { s0[0] += a[i]; i += 1 }
        }
        total += Double(horizontalSum((s0 + s1) + (s2 + s3)))
        start = end
    }
    return total
}

func checkAxisSizes(
    _ name: String, sourceCount: Int, sourceIsFull: Bool, targetCount: Int, _ outer: Int, _ axis: Int, _ inner: Int
) {
    precondition(outer >= 0 && axis >= 0 && inner >= 0, "\(name): negative size outer \(outer) axis \(axis) inner \(inner)")
    let full = outer * axis * inner, reduced = outer * inner
    precondition((sourceIsFull ? full : reduced) == sourceCount && (sourceIsFull ? reduced : full) == targetCount,
                 "\(name): x has \(sourceCount) and y \(targetCount) elements; outer \(outer), axis \(axis), inner \(inner) "
                    + "need \(sourceIsFull ? full : reduced) and \(sourceIsFull ? reduced : full)")
}

/// Sums over the middle axis: x viewed as [outer, axis, inner] → y [outer, inner],
/// y[o, i] (+)= Σₐ x[o, a, i]. Runs of 64 terms are summed in Float and the run totals in Double; a long
/// axis is cut into fixed blocks (partial sums computed in parallel, then added in block order).
public func sumAxis(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    outer: Int, axis: Int, inner: Int, accumulate: Bool = false
) {
    checkAxisSizes("sumAxis", sourceCount: x.count, sourceIsFull: true, targetCount: y.count, outer, axis, inner)
    guard let py = y.baseAddress, y.count > 0 else { return }
    guard let px = x.baseAddress, axis > 0 else {
        if !accumulate { py.update(repeating: 0, count: y.count) }
        return
    }
    nonisolated(unsafe) let (sx, sy) = (px, py)
    if inner == 1 {  // row sums of a contiguous [outer, axis] matrix
        if outer == 1 {
            sy[0] = (accumulate ? sy[0] : 0) + sum(x)
            return
        }
        forEachChunk(outer, chunkSize: max(1, 65536 / axis)) { range in
            for o in range { sy[o] = (accumulate ? sy[o] : 0) + Float(blockSum(sx + o * axis, nil, count: axis)) }
        }
        return
    }
    let blockRows = max(1, 16384 / inner)
    let blocks = (axis + blockRows - 1) / blockRows
    if blocks == 1 {
        forEachChunk(outer, chunkSize: max(1, 65536 / (axis * inner))) { range in
            for o in range {
                addRows(sx + o * axis * inner, rows: axis, inner: inner, into: sy + o * inner, accumulate: accumulate)
            }
        }
        return
    }
    // Long axis: partial[o, block, :] in parallel, then y[o, :] (+)= Σ_block partial in block order.
    let scratch = Scratch()
    defer { scratch.release() }
    let partials = scratch.floats(outer * blocks * inner)
    nonisolated(unsafe) let sp = partials.baseAddress!
    parallelFor(outer * blocks) { item in
        let (o, block) = item.quotientAndRemainder(dividingBy: blocks)
        let first = block * blockRows
        addRows(sx + (o * axis + first) * inner, rows: min(blockRows, axis - first), inner: inner,
                into: sp + item * inner, accumulate: false)
    }
    forEachChunk(outer, chunkSize: 1) { range in
        for o in range {
            addRows(sp + o * blocks * inner, rows: blocks, inner: inner, into: sy + o * inner, accumulate: accumulate)
        }
    }
}

/// out[:] (+)= Σ_r rows[r, :] for a contiguous [rows, inner] block, adding rows in order:
/// Float over runs of 64 rows, run totals accumulated in Double. Walks the rows in memory order.
func addRows(
    _ source: UnsafePointer<Float>, rows: Int, inner: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: inner) { run in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: inner) { total in
            let (run, total) = (run.baseAddress!, total.baseAddress!)
            for i in 0..<inner { total[i] = accumulate ? Double(out[i]) : 0 }
            var first = 0
            while first < rows {
                run.update(from: source + first * inner, count: inner)
                for r in first + 1..<min(first + 64, rows) { addFloats(from: source + r * inner, to: run, count: inner) }
                var i = 0
                while i + 8 <= inner {
                    let sum = load8(run + i)
                    addDoubles(SIMD4<Double>(sum.lowHalf), to: total + i)
                    addDoubles(SIMD4<Double>(sum.highHalf), to: total + i + 4)
                    i += 8
                }
                while i < inner {
                    total[i] += Double(run[i])
                    i += 1
                }
                first += 64
            }
            for i in 0..<inner { out[i] = Float(total[i]) }
        }
    }
}

/// p[0..<4] += v
@inline(__always)
func addDoubles(_ v: SIMD4<Double>, to p: UnsafeMutablePointer<Double>) {
    let raw = UnsafeMutableRawPointer(p)
    raw.storeBytes(of: raw.loadUnaligned(as: SIMD4<Double>.self) + v, as: SIMD4<Double>.self)
}

/// Plain-loop specification of `sumAxis`.
public func sumAxisReference(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    outer: Int, axis: Int, inner: Int, accumulate: Bool = false
) {
    checkAxisSizes("sumAxis", sourceCount: x.count, sourceIsFull: true, targetCount: y.count, outer, axis, inner)
    for o in 0..<outer {
        for i in 0..<inner {
            var total: Float = accumulate ? y[o * inner + i] : 0
            for a in 0..<axis { total += x[(o * axis + a) * inner + i] }
            y[o * inner + i] = total
        }
    }
}

/// The adjoint of `sumAxis`: x [outer, inner] → y [outer, axis, inner], y[o, a, i] (+)= x[o, i].
public func broadcastAxis(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    outer: Int, axis: Int, inner: Int, accumulate: Bool = false
) {
    checkAxisSizes("broadcastAxis", sourceCount: x.count, sourceIsFull: false, targetCount: y.count, outer, axis, inner)
    guard y.count > 0, let px = x.baseAddress, let py = y.baseAddress else { return }
    nonisolated(unsafe) let (sx, sy) = (px, py)
    if inner == 1 {  // each x[o] fills (or is added to) a contiguous run of `axis` elements
        forEachChunk(outer, chunkSize: max(1, 65536 / axis)) { range in
            for o in range {
                let v = SIMD8<Float>(repeating: sx[o])
                let run = sy + o * axis
                var a = 0
                while a + 8 <= axis {
                    store8(accumulate ? load8(run + a) + v : v, run + a)
                    a += 8
                }
                while a < axis {
                    run[a] = accumulate ? run[a] + v[0] : v[0]
                    a += 1
                }
            }
        }
        return
    }
    forEachChunk(outer * axis, chunkSize: max(1, 65536 / inner)) { range in
        for row in range {
            let source = sx + (row / axis) * inner, target = sy + row * inner
            var i = 0
            while i + 8 <= inner {
                store8(accumulate ? load8(target + i) + load8(source + i) : load8(source + i), target + i)
                i += 8
            }
            while i < inner {
                target[i] = accumulate ? target[i] + source[i] : source[i]
                i += 1
            }
        }
    }
}

/// Plain-loop specification of `broadcastAxis`.
public func broadcastAxisReference(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    outer: Int, axis: Int, inner: Int, accumulate: Bool = false
) {
    checkAxisSizes("broadcastAxis", sourceCount: x.count, sourceIsFull: false, targetCount: y.count, outer, axis, inner)
    for o in 0..<outer {
        for a in 0..<axis {
            for i in 0..<inner {
                let index = (o * axis + a) * inner + i
                y[index] = (accumulate ? y[index] : 0) + x[o * inner + i]
            }
        }
    }
}
