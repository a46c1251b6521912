// Reductions: whole-buffer sum and dot product, and sums over one axis of a [outer, axis, inner] view.
// Summation order is fixed by the sizes alone (never by the thread count), so results are reproducible.

/// Σ x[i]. Accumulated in Double, in index order.
public func sum(_ x: UnsafeBufferPointer<Float>) -> Float {
    var total: Double = 0
    for v in x { total += Double(v) }
    return Float(total)
}

/// Σ a[i]·b[i]. Accumulated in Double, in index order.
public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "dot: a has \(a.count) elements but b has \(b.count)")
    var total: Double = 0
    for i in 0..<a.count { total += Double(a[i]) * Double(b[i]) }
    return Float(total)
}

/// Sums over the middle axis: x viewed as [outer, axis, inner] → y [outer, inner],
/// y[o, i] (+)= Σₐ x[o, a, i].
public func sumAxis(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    outer: Int, axis: Int, inner: Int, accumulate: Bool = false
) {
    sumAxisReference(x, into: y, outer: outer, axis: axis, inner: inner, accumulate: accumulate)
}

/// Plain-loop specification of `sumAxis`.
public func sumAxisReference(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    outer: Int, axis: Int, inner: Int, accumulate: Bool = false
) {
    precondition(outer >= 0 && axis >= 0 && inner >= 0, "sumAxis: negative size outer \(outer) axis \(axis) inner \(inner)")
    precondition(x.count == outer * axis * inner,
                 "sumAxis: x has \(x.count) elements, expected outer \(outer) × axis \(axis) × inner \(inner)")
    precondition(y.count == outer * inner, "sumAxis: y has \(y.count) elements, expected outer \(outer) × inner \(inner)")
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
    broadcastAxisReference(x, into: y, outer: outer, axis: axis, inner: inner, accumulate: accumulate)
}

/// Plain-loop specification of `broadcastAxis`.
public func broadcastAxisReference(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    outer: Int, axis: Int, inner: Int, accumulate: Bool = false
) {
    precondition(outer >= 0 && axis >= 0 && inner >= 0, "broadcastAxis: negative size outer \(outer) axis \(axis) inner \(inner)")
    precondition(x.count == outer * inner, "broadcastAxis: x has \(x.count) elements, expected outer \(outer) × inner \(inner)")
    precondition(y.count == outer * axis * inner,
                 "broadcastAxis: y has \(y.count) elements, expected outer \(outer) × axis \(axis) × inner \(inner)")
    for o in 0..<outer {
        for a in 0..<axis {
            for i in 0..<inner {
                let index = (o * axis + a) * inner + i
                y[index] = (accumulate ? y[index] : 0) + x[o * inner + i]
            }
        }
    }
}
