// The direct (unpacked) path of `matmul` for problems so small that packing would cost more
// than it saves. Serial, no allocation; SIMD8 over the columns of C when B is not transposed.

/// C[m×n] (+)= op(A)·op(B) without packing; same contract as `matmul`, pointers already checked.
/// For each row i of C:  C[i, :] += op(A)[i, p] · op(B)[p, :]  for p = 0..<k in order
/// (or one dot product per element when B is stored transposed, so both reads are contiguous).
/// - Complexity: O(m·n·k) time, O(1) extra memory.
func matmulDirect(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool) {
    // op(A)[i, p] = a[i·rowStride + p·depthStride]
    let rowStride = transposeA ? 1 : k
    let depthStride = transposeA ? m : 1
    for i in 0..<m {
        let row = c + i * n
        let aRow = a + i * rowStride
        if transposeB {
            // op(B)[p, j] = b[j·k + p]: C[i, j] (+)= Σ_p op(A)[i, p] · b[j·k + p]
            for j in 0..<n {
                let bRow = b + j * k
                var sum: Float = 0
                for p in 0..<k { sum += aRow[p * depthStride] * bRow[p] }
                row[j] = accumulate ? row[j] + sum : sum
            }
            continue
        }
        if !accumulate { row.update(repeating: 0, count: n) }
        for p in 0..<k {
            let scale = aRow[p * depthStride]
            let bRow = b + p * n
            let broadcast = SIMD8<Float>(repeating: scale)
            var j = 0
            while j + 8 <= n {
                store8(load8(row + j).addingProduct(broadcast, load8(bRow + j)), row + j)
                j += 8
            }
            while j < n {
                row[j] = row[j].addingProduct(scale, bRow[j])
                j += 1
            }
        }
    }
}
