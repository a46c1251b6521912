// The direct (unpacked) path of `matmul`: tiny problems, where packing would cost more than it
// saves, and matrix-vector shapes (m = 1 or n = 1), which are memory-bound. Serial, no allocation.

/// C[m×n] (+)= op(A)·op(B) without packing; same contract as `matmul`, pointers already checked.
/// With B stored transposed each element is a dot product of two stored rows (SIMD8 over p when A
/// is row-major); otherwise each row of C is C[i, :] (+)= Σ_p op(A)[i, p] · op(B)[p, :], summed over
/// p = 0..<k in order in registers (SIMD8 over the columns; 32-column blocks in SIMD16 in AVX-512 builds). A vector operand (n = 1, or m = 1) is the same in
/// both storages, so its flag is chosen to get the contiguous case.
/// - Complexity: O(m·n·k) time, O(1) extra memory.
func matmulDirect(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool) {
    if n == 1 && transposeA && m > 1 {
        // C[m×1] = Aᵀ·b has the floats of the row vector bᵀ·A[k×m]: sweep the stored rows of A
        // instead of striding down its columns.
        matmulDirect(b, a, c, m: 1, n: m, k: k, transposeA: false, transposeB: false, accumulate: accumulate)
        return
    }
    // A[1×k] and its transpose [k×1] are the same floats, and so are B[k×1] and Bᵀ stored [1×k];
    // with k = 1 the same holds for Aᵀ stored [1×m] and B stored transposed [n×1].
    let transposeA = transposeA && m > 1 && k > 1
    let transposeB = (transposeB && k > 1) || n == 1
    // op(A)[i, p] = a[i·rowStride + p·depthStride]
    let rowStride = transposeA ? 1 : k
    let depthStride = transposeA ? m : 1
    if transposeB {
        for i in 0..<m {
            // op(B)[p, j] = b[j·k + p]: C[i, j] (+)= Σ_p op(A)[i, p] · b[j·k + p]
            let row = c + i * n
            let aRow = a + i * rowStride
            for j in 0..<n {
                let sum = transposeA ? stridedDot(aRow, stride: depthStride, b + j * k, count: k)
                                     : contiguousDot(aRow, b + j * k, count: k)
                row[j] = accumulate ? row[j] + sum : sum
            }
        }
        return
    }
    // C[i, :] (+)= Σ_p op(A)[i, p] · B[p, :], four rows at a time (then pairs), held in registers over all p.
    var i = 0
    while i + 4 <= m {
        let quad = RowQuad(a: a + i * rowStride, rowStride: rowStride, depthStride: depthStride, b: b, n: n, k: k,
                           c: c + i * n, accumulate: accumulate)
        var j = 0
        #if METALEARN_AVX512
        while j + 32 <= n {
            quad.columns32(j)
            j += 32
        }
        #endif
        while j + 16 <= n {
            quad.columns16(j)
            j += 16
        }
        if j + 8 <= n {
            quad.columns8(j)
            j += 8
        }
        while j < n {
            quad.column(j)
            j += 1
        }
        i += 4
    }
    while i < m {
        let rows = min(2, m - i)
        let strip = RowPair(a: a + i * rowStride, secondRow: rows == 2 ? rowStride : 0, depthStride: depthStride,
                            b: b, n: n, k: k, accumulate: accumulate)
        let (c0, c1) = (c + i * n, c + (i + rows - 1) * n)  // one row: both are the same row
        var j = 0
        while j + 32 <= n {
            strip.columns32(j, c0, c1)
            j += 32
        }
        while j + 8 <= n {
            strip.columns8(j, c0, c1)
            j += 8
        }
        while j < n {
            strip.column(j, c0, c1)
            j += 1
        }
        i += rows
    }
}

/// Σ_p x[p]·y[p] with two SIMD8 partial sums, lanes added pairwise in a fixed order, then a scalar tail.
/// - Complexity: O(count).
@inline(__always)
private func contiguousDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    var sum0 = SIMD8<Float>(), sum1 = SIMD8<Float>()
    var p = 0
    while p + 16 <= count {
        sum0 = sum0.plusProduct(load8(x + p), load8(y + p))
        sum1 = sum1.plusProduct(load8(x + p + 8), load8(y + p + 8))
        p += 16
    }
    if p + 8 <= count {
        sum0 = sum0.plusProduct(load8(x + p), load8(y + p))
        p += 8
    }
    let lanes8 = sum0 + sum1
    let lanes4 = lanes8.lowHalf + lanes8.highHalf
    let lanes2 = lanes4.lowHalf + lanes4.highHalf
    var sum = lanes2[0] + lanes2[1]
    while p < count {
        sum = sum.plusProduct(x[p], y[p])
        p += 1
    }
    return sum
}

/// Σ_p x[p·stride]·y[p], one scalar chain.
/// - Complexity: O(count).
@inline(__always)
private func stridedDot(_ x: UnsafePointer<Float>, stride: Int, _ y: UnsafePointer<Float>, count: Int) -> Float {
    var sum: Float = 0
    for p in 0..<count { sum = sum.plusProduct(x[p * stride], y[p]) }
    return sum
}
