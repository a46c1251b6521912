// The register-blocked inner kernel of `matmul`: a 6×16 tile of C held in 12 SIMD8 accumulators.
// Reads A and B panels through strides (packed or in place); compiles to vfmadd231ps on ymm registers.

/// Rows of C per micro-tile (the height of a packed A panel).
let microRows = 6
/// Columns of C per micro-tile (the width of a packed B panel): two SIMD8 vectors.
let microColumns = 16

/// Tile[6×16] (+)= Apanel · Bpanel over `depth` steps, where
///
///     Apanel[r][p] = a[r·layout.rowStride + p·layout.depthStride]    (rows r = 0..<6)
///     Bpanel[p][j] = b[p·ldb + j]         (columns j = 0..<16; ldb = 16 packed, n in place)
///
/// Each step broadcasts the 6 A values and does 12 fused multiply-adds; 12 accumulators, 2 B vectors
/// and 1 broadcast use 15 of the 16 ymm registers. The sum over p runs in order from 0, then the tile
/// is stored to `c` (row stride `ldc`), or added to it when `addToC`.
/// - Complexity: 96·depth fused multiply-adds; reads 22·depth floats.
@inline(__always)
func microKernel6x16(depth: Int, a: UnsafePointer<Float>, layout: APanelLayout, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, addToC: Bool) {
    let (rowStride, depthStride) = (layout.rowStride, layout.depthStride)
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
    var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
    var pa = a
    var pb = b
    for _ in 0..<depth {
        let b0 = load8(pb)
        let b1 = load8(pb + 8)
        var s = SIMD8<Float>(repeating: pa[0])
        c00 = c00.plusProduct(s, b0); c01 = c01.plusProduct(s, b1)
        s = SIMD8<Float>(repeating: pa[1 * rowStride])
        c10 = c10.plusProduct(s, b0); c11 = c11.plusProduct(s, b1)
        s = SIMD8<Float>(repeating: pa[2 * rowStride])
        c20 = c20.plusProduct(s, b0); c21 = c21.plusProduct(s, b1)
        s = SIMD8<Float>(repeating: pa[3 * rowStride])
        c30 = c30.plusProduct(s, b0); c31 = c31.plusProduct(s, b1)
        s = SIMD8<Float>(repeating: pa[4 * rowStride])
        c40 = c40.plusProduct(s, b0); c41 = c41.plusProduct(s, b1)
        s = SIMD8<Float>(repeating: pa[5 * rowStride])
        c50 = c50.plusProduct(s, b0); c51 = c51.plusProduct(s, b1)
        pa += depthStride
        pb += ldb
    }
    writeRow(c00, c01, c + 0 * ldc, addToC)
    writeRow(c10, c11, c + 1 * ldc, addToC)
    writeRow(c20, c21, c + 2 * ldc, addToC)
    writeRow(c30, c31, c + 3 * ldc, addToC)
    writeRow(c40, c41, c + 4 * ldc, addToC)
    writeRow(c50, c51, c + 5 * ldc, addToC)
}

/// row[0..<16] = (lo, hi), or row[0..<16] += (lo, hi) when `add`.
@inline(__always)
private func writeRow(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ row: UnsafeMutablePointer<Float>, _ add: Bool) {
    if add {
        store8(load8(row) + lo, row)
        store8(load8(row + 8) + hi, row + 8)
    } else {
        store8(lo, row)
        store8(hi, row + 8)
    }
}

/// Runs the micro-kernel on a tile that may stick out of C (`rows` ≤ 6, `columns` ≤ 16 valid).
/// Full tiles go straight to C. Edge tiles are computed into `scratch` (96 floats) from the
/// zero-padded panels, and only the valid part is copied (or added) to C, with the same
/// arithmetic as a full tile, so every element of C is computed the same way.
/// - Complexity: 96·depth fused multiply-adds.
@inline(__always)
func microTile(depth: Int, a: UnsafePointer<Float>, layout: APanelLayout, b: UnsafePointer<Float>, ldb: Int,
               c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, addToC: Bool,
               scratch: UnsafeMutablePointer<Float>) {
    if rows == microRows && columns == microColumns {
        microKernel6x16(depth: depth, a: a, layout: layout, b: b, ldb: ldb, c: c, ldc: ldc, addToC: addToC)
        return
    }
    microKernel6x16(depth: depth, a: a, layout: layout, b: b, ldb: ldb, c: scratch, ldc: microColumns, addToC: false)
    for r in 0..<rows {
        let source = scratch + r * microColumns
        let target = c + r * ldc
        var j = 0
        if columns >= 8 {
            store8(addToC ? load8(target) + load8(source) : load8(source), target)
            j = 8
        }
        while j < columns {
            target[j] = addToC ? target[j] + source[j] : source[j]
            j += 1
        }
    }
}
