// The register-blocked inner loops of the direct matmul path (MatMulDirect.swift): four rows of
// C at a time, then pairs.

/// Four rows of op(A) against the rows of B[k×n], C[i..<i+4, ·] (`c` points at row i): the main
/// register-blocked loops of the direct path. Each C element is its own sum over p = 0..<k in order.
struct RowQuad {
    let a: UnsafePointer<Float>
    let rowStride: Int, depthStride: Int
    let b: UnsafePointer<Float>
    let n: Int, k: Int
    let c: UnsafeMutablePointer<Float>
    let accumulate: Bool

    /// C[·, j..<j+16] in eight SIMD8 registers.
    @inline(__always)
    func columns16(_ j: Int) {
        let (c0, c1, c2, c3) = (c + j, c + n + j, c + 2 * n + j, c + 3 * n + j)
        var x0 = SIMD8<Float>(), x1 = x0, y0 = x0, y1 = x0, z0 = x0, z1 = x0, w0 = x0, w1 = x0
        if accumulate {
            (x0, x1, y0, y1) = (load8(c0), load8(c0 + 8), load8(c1), load8(c1 + 8))
            (z0, z1, w0, w1) = (load8(c2), load8(c2 + 8), load8(c3), load8(c3 + 8))
        }
        var (aColumn, bRow) = (a, b + j)
        for _ in 0..<k {
            let (b0, b1) = (load8(bRow), load8(bRow + 8))
            let s0 = SIMD8<Float>(repeating: aColumn[0]), s1 = SIMD8<Float>(repeating: aColumn[rowStride])
            x0 = x0.plusProduct(s0, b0)
            x1 = x1.plusProduct(s0, b1)
            y0 = y0.plusProduct(s1, b0)
            y1 = y1.plusProduct(s1, b1)
            let s2 = SIMD8<Float>(repeating: aColumn[2 * rowStride]), s3 = SIMD8<Float>(repeating: aColumn[3 * rowStride])
            z0 = z0.plusProduct(s2, b0)
            z1 = z1.plusProduct(s2, b1)
            w0 = w0.plusProduct(s3, b0)
            w1 = w1.plusProduct(s3, b1)
            aColumn += depthStride
            bRow += n
        }
        store8(x0, c0)
        store8(x1, c0 + 8)
        store8(y0, c1)
        store8(y1, c1 + 8)
        store8(z0, c2)
        store8(z1, c2 + 8)
        store8(w0, c3)
        store8(w1, c3 + 8)
    }

    #if METALEARN_AVX512
    /// C[·, j..<j+32] in eight SIMD16 registers (AVX-512 builds): the FMAs of `columns16` twice over,
    /// in half the instructions.
    @inline(__always)
    func columns32(_ j: Int) {
        let (c0, c1, c2, c3) = (c + j, c + n + j, c + 2 * n + j, c + 3 * n + j)
        var x0 = SIMD16<Float>(), x1 = x0, y0 = x0, y1 = x0, z0 = x0, z1 = x0, w0 = x0, w1 = x0
        if accumulate {
            (x0, x1, y0, y1) = (load16(c0), load16(c0 + 16), load16(c1), load16(c1 + 16))
            (z0, z1, w0, w1) = (load16(c2), load16(c2 + 16), load16(c3), load16(c3 + 16))
        }
        var (aColumn, bRow) = (a, b + j)
        for _ in 0..<k {
            let (b0, b1) = (load16(bRow), load16(bRow + 16))
            let s0 = SIMD16<Float>(repeating: aColumn[0]), s1 = SIMD16<Float>(repeating: aColumn[rowStride])
            x0 = x0.plusProduct(s0, b0)
            x1 = x1.plusProduct(s0, b1)
            y0 = y0.plusProduct(s1, b0)
            y1 = y1.plusProduct(s1, b1)
            let s2 = SIMD16<Float>(repeating: aColumn[2 * rowStride]), s3 = SIMD16<Float>(repeating: aColumn[3 * rowStride])
            z0 = z0.plusProduct(s2, b0)
            z1 = z1.plusProduct(s2, b1)
            w0 = w0.plusProduct(s3, b0)
            w1 = w1.plusProduct(s3, b1)
            aColumn += depthStride
            bRow += n
        }
        store16(x0, c0)
        store16(x1, c0 + 16)
        store16(y0, c1)
        store16(y1, c1 + 16)
        store16(z0, c2)
        store16(z1, c2 + 16)
        store16(w0, c3)
        store16(w1, c3 + 16)
    }
    #endif

    /// C[·, j..<j+8] in four SIMD8 registers.
    @inline(__always)
    func columns8(_ j: Int) {
        let (c0, c1, c2, c3) = (c + j, c + n + j, c + 2 * n + j, c + 3 * n + j)
        var x = SIMD8<Float>(), y = x, z = x, w = x
        if accumulate { (x, y, z, w) = (load8(c0), load8(c1), load8(c2), load8(c3)) }
        var (aColumn, bRow) = (a, b + j)
        for _ in 0..<k {
            let bv = load8(bRow)
            x = x.plusProduct(SIMD8(repeating: aColumn[0]), bv)
            y = y.plusProduct(SIMD8(repeating: aColumn[rowStride]), bv)
            z = z.plusProduct(SIMD8(repeating: aColumn[2 * rowStride]), bv)
            w = w.plusProduct(SIMD8(repeating: aColumn[3 * rowStride]), bv)
            aColumn += depthStride
            bRow += n
        }
        store8(x, c0)
        store8(y, c1)
        store8(z, c2)
        store8(w, c3)
    }

    /// C[·, j], scalar.
    @inline(__always)
    func column(_ j: Int) {
        for r in 0..<4 {
            var sum: Float = accumulate ? c[r * n + j] : 0
            for p in 0..<k { sum = sum.plusProduct(a[r * rowStride + p * depthStride], b[p * n + j]) }
            c[r * n + j] = sum
        }
    }
}

/// Two rows of op(A) (or one, given twice) against the rows of B[k×n]: the register-blocked inner
/// loops of the direct path. Each C element is its own sum over p = 0..<k in order. With one row,
/// both register sets compute the same values and store them to the same place.
struct RowPair {
    let a: UnsafePointer<Float>
    /// Offset of the second row of op(A) from the first (0 for a single row).
    let secondRow: Int
    let depthStride: Int
    let b: UnsafePointer<Float>
    let n: Int, k: Int
    let accumulate: Bool

    /// C[·, j..<j+32] in eight SIMD8 registers.
    @inline(__always)
    func columns32(_ j: Int, _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>) {
        var x0 = SIMD8<Float>(), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0
        if accumulate {
            (x0, x1, x2, x3) = (load8(c0 + j), load8(c0 + j + 8), load8(c0 + j + 16), load8(c0 + j + 24))
            (y0, y1, y2, y3) = (load8(c1 + j), load8(c1 + j + 8), load8(c1 + j + 16), load8(c1 + j + 24))
        }
        for p in 0..<k {
            let s = SIMD8<Float>(repeating: a[p * depthStride])
            let t = SIMD8<Float>(repeating: a[secondRow + p * depthStride])
            let bRow = b + p * n + j
            let (b0, b1, b2, b3) = (load8(bRow), load8(bRow + 8), load8(bRow + 16), load8(bRow + 24))
            x0 = x0.plusProduct(s, b0)
            x1 = x1.plusProduct(s, b1)
            x2 = x2.plusProduct(s, b2)
            x3 = x3.plusProduct(s, b3)
            y0 = y0.plusProduct(t, b0)
            y1 = y1.plusProduct(t, b1)
            y2 = y2.plusProduct(t, b2)
            y3 = y3.plusProduct(t, b3)
        }
        store8(y0, c1 + j)
        store8(y1, c1 + j + 8)
        store8(y2, c1 + j + 16)
        store8(y3, c1 + j + 24)
        store8(x0, c0 + j)
        store8(x1, c0 + j + 8)
        store8(x2, c0 + j + 16)
        store8(x3, c0 + j + 24)
    }

    /// C[·, j..<j+8] in two SIMD8 registers.
    @inline(__always)
    func columns8(_ j: Int, _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>) {
        var x = accumulate ? load8(c0 + j) : SIMD8<Float>(), y = accumulate ? load8(c1 + j) : SIMD8<Float>()
        for p in 0..<k {
            let bRow = load8(b + p * n + j)
            x = x.plusProduct(SIMD8(repeating: a[p * depthStride]), bRow)
            y = y.plusProduct(SIMD8(repeating: a[secondRow + p * depthStride]), bRow)
        }
        store8(y, c1 + j)
        store8(x, c0 + j)
    }

    /// C[·, j], scalar.
    @inline(__always)
    func column(_ j: Int, _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>) {
        var x: Float = accumulate ? c0[j] : 0, y: Float = accumulate ? c1[j] : 0
        for p in 0..<k {
            x = x.plusProduct(a[p * depthStride], b[p * n + j])
            y = y.plusProduct(a[secondRow + p * depthStride], b[p * n + j])
        }
        c1[j] = y
        c0[j] = x
    }
}

