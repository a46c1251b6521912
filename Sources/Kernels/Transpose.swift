// 2-D transpose of a row-major matrix: y [cols, rows] with y[c, r] = x[r, c].
// The fast version walks 32×32 tiles so both the reads and the writes stay in cache.

/// y[c, r] = x[r, c] for x [rows, cols]. `y` must not alias `x`.
public func transpose2D(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
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
                for r in r0..<r1 {
                    for c in c0..<c1 { sy[c * rows + r] = sx[r * cols + c] }
                }
                c0 = c1
            }
        }
    }
}

/// Plain-loop specification of `transpose2D`.
public func transpose2DReference(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
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
