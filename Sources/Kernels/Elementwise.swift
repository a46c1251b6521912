// Elementwise arithmetic on flat Float buffers (same count in and out) and the chunking rule
// the kernels share. `out` may be the very same buffer as an input (each index is read before written).

/// Splits `0..<count` into consecutive ranges of `chunkSize` (the last may be shorter) and runs
/// `body` on each, in parallel. The split depends only on `count` and `chunkSize`, never on the
/// thread count, so per-chunk results (and anything combined from them in chunk order) are deterministic.
func forEachChunk(_ count: Int, chunkSize: Int, _ body: @Sendable (Range<Int>) -> Void) {
    precondition(chunkSize > 0, "forEachChunk: chunkSize must be positive, got \(chunkSize)")
    if count <= 0 { return }
    let chunks = (count + chunkSize - 1) / chunkSize
    if chunks == 1 {
        body(0..<count)
        return
    }
    parallelFor(chunks) { chunk in
        body(chunk * chunkSize..<min(count, (chunk + 1) * chunkSize))
    }
}

/// The first `count` (< 8) lanes from `p`, the others set to `fill`.
@inline(__always)
func loadPartial8(_ p: UnsafePointer<Float>, count: Int, fill: Float) -> SIMD8<Float> {
    var v = SIMD8<Float>(repeating: fill)
    for lane in 0..<count { v[lane] = p[lane] }
    return v
}

/// Stores the first `count` (< 8) lanes of `v` to `p`.
@inline(__always)
func storePartial8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
    for lane in 0..<count { p[lane] = v[lane] }
}

/// target[0..<count] = source[0..<count], eight at a time (short runs are common: c = 1, kw = 3).
@inline(__always)
func copyFloats(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(load8(source + i), target + i)
        i += 8
    }
    while i < count {
        target[i] = source[i]
        i += 1
    }
}

/// target[0..<count] += source[0..<count].
@inline(__always)
func addFloats(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(load8(target + i) + load8(source + i), target + i)
        i += 8
    }
    while i < count {
        target[i] += source[i]
        i += 1
    }
}

/// v[0] + … + v[7] as ((0+4)+(2+6)) + ((1+5)+(3+7)): halves folded in registers (the standard
/// library's `sum()` is a generic lane loop that is not inlined).
@inline(__always)
func horizontalSum(_ v: SIMD8<Float>) -> Float {
    let four = v.lowHalf + v.highHalf
    let two = four.lowHalf + four.highHalf
    return two[0] + two[1]
}

/// The largest lane of v, folding halves like `horizontalSum`.
@inline(__always)
func horizontalMax(_ v: SIMD8<Float>) -> Float {
    let four = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
    return two[1] > two[0] ? two[1] : two[0]
}

/// Elements per parallel chunk for memory-bound elementwise maps.
let elementwiseChunk = 1 << 16

@inline(__always)
func checkSameCount(_ name: String, _ a: Int, _ b: Int, _ out: Int) {
    precondition(a == b && b == out, "\(name): counts differ: a \(a), b \(b), out \(out)")
}

/// out[i] = f(a[i], b[i]) with an 8-lane body and a scalar tail.
@inline(__always)
func mapBinary(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, _ out: UnsafeMutableBufferPointer<Float>,
    _ vector: @escaping @Sendable (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>,
    _ scalar: @escaping @Sendable (Float, Float) -> Float
) {
    guard let pa = a.baseAddress, let pb = b.baseAddress, let po = out.baseAddress else { return }
    nonisolated(unsafe) let (sa, sb, so) = (pa, pb, po)
    forEachChunk(out.count, chunkSize: elementwiseChunk) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let va = load8(sa + i)
            let vb = load8(sb + i)
            store8(vector(va, vb), so + i)
            i += 8
        }
        while i < range.upperBound {
            so[i] = scalar(sa[i], sb[i])
            i += 1
        }
    }
}

/// out[i] = f(x[i]) with an 8-lane body and a scalar tail.
@inline(__always)
func mapUnary(
    _ x: UnsafeBufferPointer<Float>, _ out: UnsafeMutableBufferPointer<Float>,
    _ vector: @escaping @Sendable (SIMD8<Float>) -> SIMD8<Float>,
    _ scalar: @escaping @Sendable (Float) -> Float
) {
    guard let px = x.baseAddress, let po = out.baseAddress else { return }
    nonisolated(unsafe) let (sx, so) = (px, po)
    forEachChunk(out.count, chunkSize: elementwiseChunk) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let v = load8(sx + i)
            store8(vector(v), so + i)
            i += 8
        }
        while i < range.upperBound {
            so[i] = scalar(sx[i])
            i += 1
        }
    }
}

/// out = a + b
public func add(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>
) {
    checkSameCount("add", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0 + $1 }, { $0 + $1 })
}

/// out = a - b
public func subtract(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>
) {
    checkSameCount("subtract", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0 - $1 }, { $0 - $1 })
}

/// out = a ⊙ b
public func multiply(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>
) {
    checkSameCount("multiply", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0 * $1 }, { $0 * $1 })
}

/// out = a / b (IEEE division: x/0 = ±inf, 0/0 = NaN)
public func divide(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>
) {
    checkSameCount("divide", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0 / $1 }, { $0 / $1 })
}

/// out = s · x
public func scale(_ x: UnsafeBufferPointer<Float>, by s: Float, into out: UnsafeMutableBufferPointer<Float>) {
    checkSameCount("scale", x.count, x.count, out.count)
    mapUnary(x, out, { $0 * s }, { $0 * s })
}

/// out = x + s
public func addScalar(_ x: UnsafeBufferPointer<Float>, _ s: Float, into out: UnsafeMutableBufferPointer<Float>) {
    checkSameCount("addScalar", x.count, x.count, out.count)
    mapUnary(x, out, { $0 + s }, { $0 + s })
}

/// y += α·x (y is read and written).
public func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
    checkSameCount("axpy", x.count, x.count, y.count)
    mapBinary(x, UnsafeBufferPointer(y), y, { x, y in y.plusProduct(alpha, x) }, { x, y in y.plusProduct(alpha, x) })
}

/// c += a ⊙ b (c is read and written).
public func addProduct(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into c: UnsafeMutableBufferPointer<Float>
) {
    checkSameCount("addProduct", a.count, b.count, c.count)
    guard let pa = a.baseAddress, let pb = b.baseAddress, let pc = c.baseAddress else { return }
    nonisolated(unsafe) let (sa, sb, sc) = (pa, pb, pc)
    forEachChunk(c.count, chunkSize: elementwiseChunk) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let va = load8(sa + i)
            let vb = load8(sb + i)
            let vc = load8(sc + i)
            store8(vc.plusProduct(va, vb), sc + i)
            i += 8
        }
        while i < range.upperBound {
            sc[i] = sc[i].plusProduct(sa[i], sb[i])
            i += 1
        }
    }
}
