// 2-D transpose of a row-major matrix: y [cols, rows] with y[c, r] = x[r, c].
// The fast version walks 32×32 tiles of 8×8 register-transposed blocks, so reads and writes stay in cache.

/// y[c, r] = x[r, c] for x [rows, cols]. `y` must not alias `x`.
public func transpose2D(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkTransposeSizes(x.count, y.count, rows, cols)
    guard x.count > 0, let px = x.baseAddress, let py = y.baseAddress else { return }
    nonisolated(unsafe) let (sx, sy) = (px, py)
    let tile = 32
    let tileRows = (rows + tile - 1) / tile
    forEachChunk(tileRows, chunkSize: max(1, 65536 / (tile * cols))) { range in
        for tileRow in range {
            let r0 = tileRow * tile, r1 = min(r0 + tile, rows)
            var c0 = 0
            while c0 < cols {
                let c1 = min(c0 + tile, cols)
                var r = r0
                while r + 8 <= r1 {
                    var c = c0
                    while c + 8 <= c1 {
                        transpose8x8(sx + r * cols + c, rowStride: cols, into: sy + c * rows + r, rowStride: rows)
                        c += 8
                    }
                    for rr in r..<r + 8 { for cc in c..<c1 { sy[cc * rows + rr] = sx[rr * cols + cc] } }
                    r += 8
                }
                for rr in r..<r1 { for cc in c0..<c1 { sy[cc * rows + rr] = sx[rr * cols + cc] } }
                c0 = c1
            }
        }
    }
}

/// Transposes one 8×8 block: eight row loads, three rounds of even/odd lane splits, eight row stores.
///
/// With the 64 floats in row order, element (r, c) sits at index 8r + c, bits r₂r₁r₀c₂c₁c₀. Taking
/// the even-indexed floats, then the odd ones, moves the lowest bit to the top; three rounds give
/// c₂c₁c₀r₂r₁r₀ = 8c + r, the transposed position. Each round makes output row m (< 4) from the even
/// lanes of rows 2m, 2m + 1 and row m + 4 from their odd lanes.
@inline(__always)
func transpose8x8(
    _ x: UnsafePointer<Float>, rowStride xs: Int, into y: UnsafeMutablePointer<Float>, rowStride ys: Int
) {
    var v = (load8(x), load8(x + xs), load8(x + 2 * xs), load8(x + 3 * xs),
             load8(x + 4 * xs), load8(x + 5 * xs), load8(x + 6 * xs), load8(x + 7 * xs))
    for _ in 0..<3 {
        let p0 = SIMD16(lowHalf: v.0, highHalf: v.1), p1 = SIMD16(lowHalf: v.2, highHalf: v.3)
        let p2 = SIMD16(lowHalf: v.4, highHalf: v.5), p3 = SIMD16(lowHalf: v.6, highHalf: v.7)
        v = (p0.evenHalf, p1.evenHalf, p2.evenHalf, p3.evenHalf, p0.oddHalf, p1.oddHalf, p2.oddHalf, p3.oddHalf)
    }
    store8(v.0, y)
    store8(v.1, y + ys)
    store8(v.2, y + 2 * ys)
    store8(v.3, y + 3 * ys)
    store8(v.4, y + 4 * ys)
    store8(v.5, y + 5 * ys)
    store8(v.6, y + 6 * ys)
    store8(v.7, y + 7 * ys)
}

/// Plain-loop specification of `transpose2D`.
public func transpose2DReference(
    _ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkTransposeSizes(x.count, y.count, rows, cols)
    for r in 0..<rows {
        for c in 0..<cols { y[c * rows + r] = x[r * cols + c] }
    }
}

func checkTransposeSizes(_ xCount: Int, _ yCount: Int, _ rows: Int, _ cols: Int) {
    precondition(rows >= 0 && cols >= 0, "transpose2D: negative size rows \(rows) cols \(cols)")
    precondition(xCount == rows * cols && yCount == rows * cols,
                 "transpose2D: x has \(xCount) and y \(yCount) elements, expected rows \(rows) × cols \(cols)")
}
