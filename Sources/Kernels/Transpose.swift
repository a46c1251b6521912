// 2-D transpose of a row-major matrix: y [cols, rows] with y[c, r] = x[r, c].

/// y[c, r] = x[r, c] for x [rows, cols]. `y` must not alias `x`.
public func transpose2D(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    transpose2DReference(x, into: y, rows: rows, cols: cols)
}

/// Plain-loop specification of `transpose2D`.
public func transpose2DReference(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    precondition(rows >= 0 && cols >= 0, "transpose2D: negative size rows \(rows) cols \(cols)")
    precondition(x.count == rows * cols && y.count == rows * cols,
                 "transpose2D: x has \(x.count) and y \(y.count) elements, expected rows \(rows) × cols \(cols)")
    for r in 0..<rows {
        for c in 0..<cols { y[c * rows + r] = x[r * cols + c] }
    }
}
