// Column sums of a block of rows of x [rows, channels], accumulated in registers: the partial sums
// of up to 32 channels stay in four SIMD8 registers while the rows stream past. Each channel is
// still summed row by row in order from 0, so the bits are those of adding each row into memory.

/// Where a kernel reads a[r, c] (at offset r·channels + c): a pointer to the stored values, or
/// `MaskedRowValues`. Kernels hand one to their threads in `@Sendable` closures, so from Swift 6.2
/// on, whose closures check that captured metatypes are sendable, it refines `SendableMetatype`.
protocol RowValues: RowValuesBase {
    func vector(at offset: Int) -> SIMD8<Float>
    func scalar(at offset: Int) -> Float
}

#if compiler(>=6.2)
typealias RowValuesBase = SendableMetatype
#else
protocol RowValuesBase {}
#endif

extension UnsafePointer: RowValues where Pointee == Float {
    @inline(__always) func vector(at offset: Int) -> SIMD8<Float> { load8(self + offset) }
    @inline(__always) func scalar(at offset: Int) -> Float { self[offset] }
}

/// x[r, c] where mask[r, c] > 0, else 0: a ReLU's pullback (`keepWherePositive`, the same bits)
/// read on the fly, never stored.
struct MaskedRowValues: RowValues {
    let x: UnsafePointer<Float>
    let mask: UnsafePointer<Float>
    @inline(__always) func vector(at offset: Int) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: load8(x + offset), where: load8(mask + offset) .> 0)
    }
    @inline(__always) func scalar(at offset: Int) -> Float { mask[offset] > 0 ? x[offset] : 0 }
}

/// out[i] = mask[i] > 0 ? x[i] : 0 for i < count, on this thread (the bits of `keepWherePositive`);
/// out may be x (in place).
func copyKeepingWherePositive(_ x: UnsafePointer<Float>, _ mask: UnsafePointer<Float>,
                              into out: UnsafeMutablePointer<Float>, count: Int) {
    let values = MaskedRowValues(x: x, mask: mask)
    var i = 0
    while i + 8 <= count {
        store8(values.vector(at: i), out + i)
        i += 8
    }
    while i < count {
        out[i] = values.scalar(at: i)
        i += 1
    }
}

/// What one row adds to a channel's sum: the sum so far, the element's offset r·channels + c in x,
/// and its channel c.
protocol ColumnTerm {
    func adding(to sum: SIMD8<Float>, offset: Int, channel: Int) -> SIMD8<Float>
    func adding(to sum: Float, offset: Int, channel: Int) -> Float
}

/// x[r, c].
struct PlainColumnTerm<Values: RowValues>: ColumnTerm {
    let x: Values
    @inline(__always) func adding(to sum: SIMD8<Float>, offset: Int, channel: Int) -> SIMD8<Float> {
        sum + x.vector(at: offset)
    }
    @inline(__always) func adding(to sum: Float, offset: Int, channel: Int) -> Float { sum + x.scalar(at: offset) }
}

/// (x[r, c] − center[c])², as one fused multiply-add into the sum.
struct SquaredDeviationColumnTerm: ColumnTerm {
    let x: UnsafePointer<Float>
    let center: UnsafePointer<Float>
    @inline(__always) func adding(to sum: SIMD8<Float>, offset: Int, channel: Int) -> SIMD8<Float> {
        let d = load8(x + offset) - load8(center + channel)
        return sum.plusProduct(d, d)
    }
    @inline(__always) func adding(to sum: Float, offset: Int, channel: Int) -> Float {
        let d = x[offset] - center[channel]
        return sum.plusProduct(d, d)
    }
}

/// a[r, c]·b[r, c], rounded before it is added.
struct ProductColumnTerm<Values: RowValues>: ColumnTerm {
    let a: Values
    let b: UnsafePointer<Float>
    @inline(__always) func adding(to sum: SIMD8<Float>, offset: Int, channel: Int) -> SIMD8<Float> {
        sum + a.vector(at: offset) * load8(b + offset)
    }
    @inline(__always) func adding(to sum: Float, offset: Int, channel: Int) -> Float {
        sum + a.scalar(at: offset) * b[offset]
    }
}

/// sums[c] = Σ_{r ∈ rows} term(r, c), added in row order starting from 0.
/// - Complexity: O(rows.count·channels); x is read once, in channel groups of 32 within the block.
@inline(__always)
func columnSums<Term: ColumnTerm>(_ term: Term, rows: Range<Int>, channels: Int, into sums: UnsafeMutablePointer<Float>) {
    var c = 0
    while c + 32 <= channels {
        var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        for r in rows {
            let offset = r &* channels &+ c
            s0 = term.adding(to: s0, offset: offset, channel: c)
            s1 = term.adding(to: s1, offset: offset &+ 8, channel: c &+ 8)
            s2 = term.adding(to: s2, offset: offset &+ 16, channel: c &+ 16)
            s3 = term.adding(to: s3, offset: offset &+ 24, channel: c &+ 24)
        }
        store32(s0, s1, s2, s3, sums + c)
        c += 32
    }
    while c + 8 <= channels {
        var s = SIMD8<Float>()
        for r in rows { s = term.adding(to: s, offset: r &* channels &+ c, channel: c) }
        store8(s, sums + c)
        c += 8
    }
    while c < channels {
        var s: Float = 0
        for r in rows { s = term.adding(to: s, offset: r &* channels &+ c, channel: c) }
        sums[c] = s
        c += 1
    }
}

/// sums[c] = Σ_{r ∈ rows} a[r, c] and productSums[c] = Σ_{r ∈ rows} a[r, c]·b[r, c] in one sweep:
/// the same bits as `columnSums` with `PlainColumnTerm` then `ProductColumnTerm`, but each a[r, c]
/// (and its ReLU mask, for `MaskedRowValues`) is loaded once. 32 channels take eight registers.
/// - Complexity: O(rows.count·channels).
@inline(__always)
func columnSumsWithProducts<Values: RowValues>(_ a: Values, _ b: UnsafePointer<Float>, rows: Range<Int>, channels: Int,
                                              sums: UnsafeMutablePointer<Float>, productSums: UnsafeMutablePointer<Float>) {
    var c = 0
    while c + 32 <= channels {
        var (s0, s1, s2, s3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var (p0, p1, p2, p3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        for r in rows {
            let offset = r &* channels &+ c
            let (a0, a1) = (a.vector(at: offset), a.vector(at: offset &+ 8))
            let (a2, a3) = (a.vector(at: offset &+ 16), a.vector(at: offset &+ 24))
            (s0, s1, s2, s3) = (s0 + a0, s1 + a1, s2 + a2, s3 + a3)
            p0 = p0 + a0 * load8(b + offset)
            p1 = p1 + a1 * load8(b + (offset &+ 8))
            p2 = p2 + a2 * load8(b + (offset &+ 16))
            p3 = p3 + a3 * load8(b + (offset &+ 24))
        }
        store32(s0, s1, s2, s3, sums + c)
        store32(p0, p1, p2, p3, productSums + c)
        c += 32
    }
    while c + 8 <= channels {
        var (s, p) = (SIMD8<Float>(), SIMD8<Float>())
        for r in rows {
            let offset = r &* channels &+ c
            let v = a.vector(at: offset)
            s = s + v
            p = p + v * load8(b + offset)
        }
        store8(s, sums + c)
        store8(p, productSums + c)
        c += 8
    }
    while c < channels {
        var (s, p): (Float, Float) = (0, 0)
        for r in rows {
            let offset = r &* channels &+ c
            let v = a.scalar(at: offset)
            s = s + v
            p = p + v * b[offset]
        }
        sums[c] = s
        productSums[c] = p
        c += 1
    }
}
