// A B operand packed once for many products: a convolution layer multiplies its weights by the
// column matrix of each image group (nine groups per task in W2's second layer), and the packed
// path would otherwise pack the same weights again for every group.

/// op(B)[k×n] packed into the 16-column panels the micro-kernel reads (`packBPanels`), all of k:
///
///     panels[q·16·k + p·16 + j] = op(B)[p, 16·q + j]     (0 where 16·q + j ≥ n)
///
/// It points into memory the caller owns (`floats(n:k:)` floats) and keeps `source`, which
/// products that do not take the packed path read instead. `unpacked` makes one with no panels,
/// for a B used once: its product packs it the usual way.
struct PackedB: @unchecked Sendable {  // read-only once packed
    let source: UnsafeBufferPointer<Float>
    let panels: UnsafePointer<Float>?
    let n: Int
    let k: Int
    let transposed: Bool

    private init(source: UnsafeBufferPointer<Float>, panels: UnsafePointer<Float>?, n: Int, k: Int, transposed: Bool) {
        (self.source, self.panels, self.n, self.k, self.transposed) = (source, panels, n, k, transposed)
    }

    /// op(B) left where it is.
    static func unpacked(_ b: UnsafeBufferPointer<Float>, n: Int, k: Int, transposed: Bool) -> PackedB {
        checkMatMulShapes("PackedB", a: 0, b: b.count, c: 0, m: 0, n: n, k: k)
        return PackedB(source: b, panels: nil, n: n, k: k, transposed: transposed)
    }

    /// Floats of storage the panels of an n-column, k-deep op(B) take.
    static func floats(n: Int, k: Int) -> Int { roundUp(n, microColumns) * k }

    /// Packs op(B) (B[k×n] row-major, or Bᵀ stored [n×k] when `transposed`) into `storage`.
    /// - Complexity: O(roundUp(n, 16)·k) copies.
    init(_ b: UnsafeBufferPointer<Float>, n: Int, k: Int, transposed: Bool, into storage: UnsafeMutableBufferPointer<Float>) {
        checkMatMulShapes("PackedB", a: 0, b: b.count, c: 0, m: 0, n: n, k: k)
        precondition(storage.count >= PackedB.floats(n: n, k: k), "PackedB: storage holds \(storage.count) floats, needs \(PackedB.floats(n: n, k: k))")
        (source, self.n, self.k, self.transposed) = (b, n, k, transposed)
        panels = UnsafePointer(storage.baseAddress!)
        if n > 0 && k > 0 {
            packBPanels(b.baseAddress!, n: n, k: k, transposed: transposed, columnStart: 0,
                        panels: ceilDiv(n, microColumns), into: storage.baseAddress!)
        }
    }
}

/// C[m×n] (+)= A[m×k]·op(B) with op(B) packed beforehand: the same bits as `matmul(a, b.source, …)`,
/// which it calls when there are no panels or its path would not read them (tiny problems,
/// matrix-vector shapes, or a B too large for one packed block).
/// - Complexity: O(m·n·k); no packing of B.
func matmul(_ a: UnsafeBufferPointer<Float>, _ b: PackedB, into c: UnsafeMutableBufferPointer<Float>,
            m: Int, accumulate: Bool = false) {
    let (n, k) = (b.n, b.k)
    checkMatMulShapes("matmul", a: a.count, b: b.source.count, c: c.count, m: m, n: n, k: k)
    let plan = MatMulPlan(m: m, n: n, k: k, transposeB: b.transposed)
    guard let panels = b.panels, m > 0, n > 0, k > 0, plan.columns >= n,
          automaticPath(m: m, n: n, k: k, transposeA: false, transposeB: b.transposed) == .packed else {
        matmul(a, b.source, into: c, m: m, n: n, k: k, transposeB: b.transposed, accumulate: accumulate)
        return
    }
    ProductProfile.measure(.init(m: m, n: n, k: k, transposeA: false, transposeB: b.transposed, algorithm: "prepacked")) {
        matmulPacked(a.baseAddress!, b.source.baseAddress!, c.baseAddress!, m: m, n: n, k: k, transposeA: false,
                     transposeB: b.transposed, accumulate: accumulate,
                     threads: productThreads(m: m, n: n, k: k, available: Parallelism.threads), prepackedB: panels)
    }
}
