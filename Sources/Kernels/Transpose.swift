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

/// Transposes one 8×8 block: eight row loads, lane shuffles, eight row stores.
@inline(__always)
func transpose8x8(
    _ x: UnsafePointer<Float>, rowStride xs: Int, into y: UnsafeMutablePointer<Float>, rowStride ys: Int
) {
    let a0 = load8(x), a1 = load8(x + xs), a2 = load8(x + 2 * xs), a3 = load8(x + 3 * xs)
    let a4 = load8(x + 4 * xs), a5 = load8(x + 5 * xs), a6 = load8(x + 6 * xs), a7 = load8(x + 7 * xs)
    for j in 0..<8 {
        store8(SIMD8(a0[j], a1[j], a2[j], a3[j], a4[j], a5[j], a6[j], a7[j]), y + j * ys)
    }
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
