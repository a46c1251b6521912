// Products with nine columns, C[m×9] = A[m×k]·op(B)[k×9]: the input gradient of a 3×3 convolution
// over one channel, C = Ȳ·Wᵀ (W2's layer 1: 15680×9, k = 64). The blocked path's 6×16 tile would
// spend 7 of its 16 columns on padding; here columns 0–7 of a row are one SIMD8 accumulator fed by
// broadcasts of A (as in the micro-kernel), and column 8 is a dot product of A's row with B's ninth
// column, eight depth steps per fused multiply-add. No product of padding, and one lane sum per row.

/// C (+)= A·op(B) for n = 9 and a row-major A (`matmul` without transposeA).
///
///     C[i, j] = (accumulate ? C[i, j] : 0) + Σ_p A[i, p]·op(B)[p, j]
///
/// Columns 0–7 sum p in order; column 8 sums eight interleaved partial sums (p mod 8) folded by
/// `horizontalSum`, then the last k mod 8 steps in order. Rows are cut into blocks by the shape
/// alone, and each row's arithmetic is the same in every block, so the bits do not depend on the
/// thread count.
/// - Complexity: O(9·m·k) flops; O(9·k) extra memory (op(B) repacked).
func matmulNineColumns(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                       m: Int, k: Int, transposeB: Bool, accumulate: Bool, threads: Int) {
    let scratch = Scratch()
    defer { scratch.release() }
    // low[p·8 + j] = op(B)[p, j] for j < 8; ninth[p] = op(B)[p, 8].
    let low = scratch.floats(8 * k).baseAddress!
    let ninth = scratch.floats(k).baseAddress!
    let element = { (p: Int, j: Int) in transposeB ? b[j * k + p] : b[p * 9 + j] }  // op(B)[p, j]
    for p in 0..<k {
        for j in 0..<8 { low[p * 8 + j] = element(p, j) }
        ninth[p] = element(p, 8)
    }
    let rowsPerTask = nineColumnRowsPerTask(m: m)
    nonisolated(unsafe) let (sa, sc, sl, sn) = (a, c, low, ninth)
    let body: @Sendable (Int) -> Void = { task in
        let first = task * rowsPerTask
        let last = min(m, first + rowsPerTask)
        var row = first
        while row < last {
            let rows = min(nineColumnTileRows, last - row)
            nineColumnTile(a: sa + row * k, k: k, low: sl, ninth: sn, c: sc + row * 9, rows: rows,
                           accumulate: accumulate)
            row += rows
        }
    }
    let tasks = ceilDiv(m, rowsPerTask)
    if threads > 1 && tasks > 1 {
        parallelFor(tasks, body)
    } else {
        for task in 0..<tasks { body(task) }
    }
}

/// Rows of C per register tile.
let nineColumnTileRows = 6

/// Rows per parallel task: about m / 16 (so 2 threads balance), whole tiles, at least 8 tiles.
func nineColumnRowsPerTask(m: Int) -> Int {
    max(8 * nineColumnTileRows, roundUp(ceilDiv(m, 16), nineColumnTileRows))
}

/// C[rows×9] (+)= A[rows×k]·op(B) for `rows` ≤ 6, held in 12 accumulators: `wide[r]` (columns 0–7)
/// and `dot[r]` (column 8's eight partial sums). Missing rows repeat the last row's pointer and are
/// not stored, so a row's arithmetic does not depend on its tile.
@inline(__always)
private func nineColumnTile(a: UnsafePointer<Float>, k: Int, low: UnsafePointer<Float>, ninth: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, rows: Int, accumulate: Bool) {
    let a0 = a, a1 = a + min(1, rows - 1) * k, a2 = a + min(2, rows - 1) * k
    let a3 = a + min(3, rows - 1) * k, a4 = a + min(4, rows - 1) * k, a5 = a + min(5, rows - 1) * k
    var w0 = SIMD8<Float>(), w1 = SIMD8<Float>(), w2 = SIMD8<Float>()
    var w3 = SIMD8<Float>(), w4 = SIMD8<Float>(), w5 = SIMD8<Float>()
    var d0 = SIMD8<Float>(), d1 = SIMD8<Float>(), d2 = SIMD8<Float>()
    var d3 = SIMD8<Float>(), d4 = SIMD8<Float>(), d5 = SIMD8<Float>()
    var p = 0
    while p + 8 <= k {
        for step in 0..<8 {
            let q = p &+ step
            let bq = load8(low + q * 8)
            w0 = w0.plusProduct(SIMD8(repeating: a0[q]), bq)
            w1 = w1.plusProduct(SIMD8(repeating: a1[q]), bq)
            w2 = w2.plusProduct(SIMD8(repeating: a2[q]), bq)
            w3 = w3.plusProduct(SIMD8(repeating: a3[q]), bq)
            w4 = w4.plusProduct(SIMD8(repeating: a4[q]), bq)
            w5 = w5.plusProduct(SIMD8(repeating: a5[q]), bq)
        }
        let b8 = load8(ninth + p)
        d0 = d0.plusProduct(load8(a0 + p), b8)
        d1 = d1.plusProduct(load8(a1 + p), b8)
        d2 = d2.plusProduct(load8(a2 + p), b8)
        d3 = d3.plusProduct(load8(a3 + p), b8)
        d4 = d4.plusProduct(load8(a4 + p), b8)
        d5 = d5.plusProduct(load8(a5 + p), b8)
        p += 8
    }
    var e0 = horizontalSum(d0), e1 = horizontalSum(d1), e2 = horizontalSum(d2)
    var e3 = horizontalSum(d3), e4 = horizontalSum(d4), e5 = horizontalSum(d5)
    while p < k {
        let bp = load8(low + p * 8), b8 = ninth[p]
        w0 = w0.plusProduct(SIMD8(repeating: a0[p]), bp); e0 = e0.plusProduct(a0[p], b8)
        w1 = w1.plusProduct(SIMD8(repeating: a1[p]), bp); e1 = e1.plusProduct(a1[p], b8)
        w2 = w2.plusProduct(SIMD8(repeating: a2[p]), bp); e2 = e2.plusProduct(a2[p], b8)
        w3 = w3.plusProduct(SIMD8(repeating: a3[p]), bp); e3 = e3.plusProduct(a3[p], b8)
        w4 = w4.plusProduct(SIMD8(repeating: a4[p]), bp); e4 = e4.plusProduct(a4[p], b8)
        w5 = w5.plusProduct(SIMD8(repeating: a5[p]), bp); e5 = e5.plusProduct(a5[p], b8)
        p += 1
    }
    let wide = (w0, w1, w2, w3, w4, w5), dot = (e0, e1, e2, e3, e4, e5)
    withUnsafeBytes(of: wide) { wideBytes in
        withUnsafeBytes(of: dot) { dotBytes in
            let w = wideBytes.bindMemory(to: SIMD8<Float>.self), e = dotBytes.bindMemory(to: Float.self)
            for r in 0..<rows {
                let row = c + r * 9
                store8(accumulate ? load8(row) + w[r] : w[r], row)
                row[8] = accumulate ? row[8] + e[r] : e[r]
            }
        }
    }
}
