// Matrix product of rank-2 tensors, with optional transposed operands.
//
// C = op(A)·op(B)       op(A): [m, k]   op(B): [k, n]   C: [m, n]
// value      Kernels.matmul (blocked, packed SIMD GEMM)
// JVP        dC = op(dA)·op(B) + op(A)·op(dB)
// VJP        (no transposes) Ā = C̄·Bᵀ,  B̄ = Aᵀ·C̄; the transposed cases follow by symmetry.
//            Written with Dual matmuls, so the tangent of the gradient (for HVPs) comes along.

import Kernels

// MARK: - Tensor (value only)

/// Σᵢ op(Aᵢ)·op(Bᵢ): one output, several products accumulated by the GEMM kernel.
///
/// The tangent of a product has two terms (dA·B + A·dB). When C is wider than the terms are deep
/// (n·(t−1) > t·k: the input-gradient GEMMs of a convolution, n = kh·kw·c), the terms are instead
/// joined along k, [A₁ A₂]·[B₁; B₂], and computed as one product: copying the operands costs less
/// than writing and re-reading C once per extra term, and one deep product runs faster than two
/// shallow ones. Same sum, other rounding.
func matmulSum(_ terms: [(Tensor, Tensor)], transposeA: Bool, transposeB: Bool) -> Tensor {
    let (a0, b0) = terms[0]
    precondition(a0.rank == 2 && b0.rank == 2, "matmul: operands must be rank 2, got \(a0.shape) · \(b0.shape)")
    let m = transposeA ? a0.shape[1] : a0.shape[0]
    let k = transposeA ? a0.shape[0] : a0.shape[1]
    let kB = transposeB ? b0.shape[1] : b0.shape[0]
    let n = transposeB ? b0.shape[0] : b0.shape[1]
    precondition(k == kB, "matmul: \(a0.shape)\(transposeA ? "ᵀ" : "") · \(b0.shape)\(transposeB ? "ᵀ" : "")")
    if terms.count > 1 && n * (terms.count - 1) > k * terms.count {
        for (a, b) in terms {
            precondition(a.shape == a0.shape && b.shape == b0.shape, "matmulSum: mismatched terms")
        }
        // op(A) [m, k] joined along k: columns of a row-major A, rows of a transposed one.
        let joinedA = transposeA ? Tensor.stackingRows(terms.map(\.0)) : Tensor.joiningColumns(terms.map(\.0))
        let joinedB = transposeB ? Tensor.joiningColumns(terms.map(\.1)) : Tensor.stackingRows(terms.map(\.1))
        return matmulSum([(joinedA, joinedB)], transposeA: transposeA, transposeB: transposeB)
    }
    return Tensor.filled(shape: [m, n]) { c in
        for (index, (a, b)) in terms.enumerated() {
            precondition(a.shape == a0.shape && b.shape == b0.shape, "matmulSum: mismatched terms")
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    Kernels.matmul(pa, pb, into: c, m: m, n: n, k: k, transposeA: transposeA,
                                   transposeB: transposeB, accumulate: index > 0)
                }
            }
        }
    }
}

/// op(A)·op(B) for rank-2 tensors.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    matmulSum([(a, b)], transposeA: transposeA, transposeB: transposeB)
}

// MARK: - Dual (forward mode)

/// op(A)·op(B) with tangent op(dA)·op(B) + op(A)·op(dB).
public func matmul(_ a: Dual, _ b: Dual, transposeA: Bool = false, transposeB: Bool = false) -> Dual {
    let value = primalValue(.matmul, a.shape + b.shape + [transposeA ? 1 : 0, transposeB ? 1 : 0]) {
        matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
    }
    var terms: [(Tensor, Tensor)] = []
    if let da = a.tangent { terms.append((da, b.value)) }
    if let db = b.tangent { terms.append((a.value, db)) }
    let tangent = terms.isEmpty ? nil : matmulSum(terms, transposeA: transposeA, transposeB: transposeB)
    return Dual(value, tangent: tangent)
}

// MARK: - Variable (reverse mode)

/// op(A)·op(B), recorded on the tape.
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let (x, y) = (a.dual, b.dual)
    let value = matmul(x, y, transposeA: transposeA, transposeB: transposeB)
    return a.tape.record(value, inputs: [a, b]) { g, needed in
        // Ā and B̄ for each transpose case; each line is a product of Duals.
        let gradA: Dual?
        let gradB: Dual?
        switch (transposeA, transposeB) {
        case (false, false):
            gradA = needed[0] ? matmul(g, y, transposeB: true) : nil      // C̄·Bᵀ
            gradB = needed[1] ? matmul(x, g, transposeA: true) : nil      // Aᵀ·C̄
        case (true, false):
            gradA = needed[0] ? matmul(y, g, transposeB: true) : nil      // B·C̄ᵀ   [k,m]
            gradB = needed[1] ? matmul(x, g) : nil                        // A·C̄    [k,n]
        case (false, true):
            gradA = needed[0] ? matmul(g, y) : nil                        // C̄·B    [m,k]
            gradB = needed[1] ? matmul(g, x, transposeA: true) : nil      // C̄ᵀ·A   [n,k]
        case (true, true):
            gradA = needed[0] ? matmul(y, g, transposeA: true, transposeB: true) : nil  // Bᵀ·C̄ᵀ
            gradB = needed[1] ? matmul(g, x, transposeA: true, transposeB: true) : nil  // C̄ᵀ·Aᵀ
        }
        return [gradA, gradB]
    }
}
