// The naive triple loop that defines what `matmul` computes: the spec and the test oracle.
// Deliberately simple and slow; never used on a hot path.

/// C[m×n] (+)= op(A)·op(B), row-major contiguous. op(A) is A[m×k], or Aᵀ when transposeA (A stored [k×m]);
/// op(B) is B[k×n], or Bᵀ when transposeB (B stored [n×k]). accumulate: C += instead of C =.
///
///     C[i, j] = (accumulate ? C[i, j] : 0) + Σ_p op(A)[i, p] · op(B)[p, j]     (p = 0, 1, …, k-1 in order)
///
/// With k = 0 the sum is empty: C becomes 0, or stays unchanged when accumulating.
/// - Complexity: O(m·n·k) time, O(1) extra memory.
public func matmulReference(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                            into c: UnsafeMutableBufferPointer<Float>, m: Int, n: Int, k: Int,
                            transposeA: Bool = false, transposeB: Bool = false, accumulate: Bool = false) {
    checkMatMulShapes("matmulReference", a: a.count, b: b.count, c: c.count, m: m, n: n, k: k)
    for i in 0..<m {
        for j in 0..<n {
            var sum: Float = 0
            for p in 0..<k {
                let aValue = transposeA ? a[p * m + i] : a[i * k + p]
                let bValue = transposeB ? b[j * k + p] : b[p * n + j]
                sum += aValue * bValue
            }
            c[i * n + j] = accumulate ? c[i * n + j] + sum : sum
        }
    }
}

/// Stops with a message naming the sizes when they are negative or a buffer is too small.
/// Buffers may be longer than needed; only the leading m·k, k·n and m·n elements are used.
func checkMatMulShapes(_ name: String, a: Int, b: Int, c: Int, m: Int, n: Int, k: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "\(name): sizes must be non-negative, got m \(m), n \(n), k \(k)")
    precondition(a >= m * k, "\(name): A holds \(a) floats but m·k = \(m)·\(k) = \(m * k) are needed")
    precondition(b >= k * n, "\(name): B holds \(b) floats but k·n = \(k)·\(n) = \(k * n) are needed")
    precondition(c >= m * n, "\(name): C holds \(c) floats but m·n = \(m)·\(n) = \(m * n) are needed")
}
