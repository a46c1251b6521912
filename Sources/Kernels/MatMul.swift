// General matrix multiply: panels of B (and of A where it cannot be read in place), cache blocking, a 6×16 SIMD micro-kernel,
// parallel tasks. Bit-identical for any thread count: blocks depend only on the shape, k is summed in order.

/// C[m×n] (+)= op(A)·op(B), row-major contiguous. op(A) is A[m×k], or Aᵀ when transposeA (A stored [k×m]);
/// op(B) is B[k×n], or Bᵀ when transposeB (B stored [n×k]). accumulate: C += instead of C =.
///
///     C[i, j] = (accumulate ? C[i, j] : 0) + Σ_p op(A)[i, p] · op(B)[p, j]
///
/// With k = 0, C becomes 0 (or is unchanged when accumulating). `matmulReference` is the spec.
/// Buffers may be longer than needed; C must not overlap A or B.
/// - Complexity: O(m·n·k) time; O(k·min(n, NC) + tasks·MC·KC) extra memory for packed panels (plus
///   a few copies of C when a small C with a deep k is split into depth chunks).
public func matmul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                   into c: UnsafeMutableBufferPointer<Float>, m: Int, n: Int, k: Int,
                   transposeA: Bool = false, transposeB: Bool = false, accumulate: Bool = false) {
    matmul(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
           accumulate: accumulate, path: .automatic, threads: Parallelism.threads)
}

/// `matmul` on the calling thread without packing: for the products of a few microseconds inside
/// per-task code that is already parallel over tasks (a 10×40×40 layer of one sinusoid task).
/// Same contract as `matmul`.
public func matmulSerialUnpacked(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                                 into c: UnsafeMutableBufferPointer<Float>, m: Int, n: Int, k: Int,
                                 transposeA: Bool = false, transposeB: Bool = false, accumulate: Bool = false) {
    matmul(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
           accumulate: accumulate, path: .direct, threads: 1)
}

/// Which algorithm `matmul` uses; tests force each one on every shape.
enum MatMulPath {
    /// `automaticPath`: direct for tiny problems and m = 1 or n = 1, deep for early layers' weight gradients,
    /// nine columns for a one-channel 3×3 layer's input gradient, packed otherwise.
    case automatic
    case direct
    case packed
    /// `matmulDeepTransposedA`: transposeA without transposeB only.
    case deepTransposedA
    /// `matmulNineColumns`: n = 9 without transposeA only.
    case nineColumns

    /// The algorithm's name in `ProductProfile`.
    var profileName: String {
        switch self {
        case .automatic, .packed: "packed"
        case .direct: "direct"
        case .deepTransposedA: "deep"
        case .nineColumns: "nine"
        }
    }
}

/// `matmul` with the algorithm chosen by `path`, on `threads` threads (1 = serial). Tests pass
/// these explicitly instead of changing the global `Parallelism.threads`.
func matmul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
            into c: UnsafeMutableBufferPointer<Float>, m: Int, n: Int, k: Int,
            transposeA: Bool, transposeB: Bool, accumulate: Bool, path: MatMulPath, threads: Int) {
    checkMatMulShapes("matmul", a: a.count, b: b.count, c: c.count, m: m, n: n, k: k)
    guard m > 0, n > 0, let pc = c.baseAddress else { return }
    guard k > 0, let pa = a.baseAddress, let pb = b.baseAddress else {
        if !accumulate { pc.update(repeating: 0, count: m * n) }
        return
    }
    let chosen = path == .automatic ? automaticPath(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB) : path
    let threads = productThreads(m: m, n: n, k: k, available: threads)
    ProductProfile.measure(.init(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                                 algorithm: chosen.profileName)) {
        switch chosen {
        case .deepTransposedA:
            precondition(transposeA && !transposeB, "matmul: the deep path needs transposeA and a row-major B")
            matmulDeepTransposedA(pa, pb, pc, m: m, n: n, k: k, accumulate: accumulate, threads: threads)
        case .nineColumns:
            precondition(n == 9 && !transposeA, "matmul: the nine-column path needs n = 9 and a row-major A")
            matmulNineColumns(pa, pb, pc, m: m, k: k, transposeB: transposeB, accumulate: accumulate, threads: threads)
        case .direct:
            matmulDirect(pa, pb, pc, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                         accumulate: accumulate)
        case .packed, .automatic:
            matmulPacked(pa, pb, pc, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                         accumulate: accumulate, threads: threads)
        }
    }
}

/// Threads for one product: `available`, or 1 when it is too small to repay starting a second.
func productThreads(m: Int, n: Int, k: Int, available: Int) -> Int {
    2 * m * n * k >= MatMulBlocking.parallelFlops ? available : 1
}

/// The path `.automatic` takes: direct for tiny problems and matrix-vector shapes (memory-bound,
/// packing would only add traffic), the deep path for a transposed A with few rows and a deep k,
/// the nine-column path for n = 9 with a row-major A at least 8 deep, packed otherwise.
func automaticPath(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) -> MatMulPath {
    if m == 1 || n == 1 || 2 * m * n * k < MatMulBlocking.directFlops { return .direct }
    if transposeA && !transposeB && m <= MatMulBlocking.maxRowsForDeepPath
        && n <= MatMulBlocking.maxColumnsForDeepPath && k >= MatMulBlocking.minDepthForDeepPath {
        return .deepTransposedA
    }
    if n == 9 && !transposeA && k >= 8 { return .nineColumns }
    return .packed
}

/// The blocked path. For each packed B block of `plan.columns` columns (all of k, packed once and
/// shared), C is cut into tasks of `plan.rows` × `plan.groupColumns`. Each task, for each depth
/// pass in order, packs its A block (when A is transposed with m > 960; else only a partial last panel) and sweeps its micro-tiles:
///
///     for jc in column blocks:            pack op(B)[:, jc]                   (parallel over panels)
///       for (ic, group) in tasks:         (parallel; disjoint blocks of C)
///         for pc in depth passes:         A block op(A)[ic, pc]  → L2
///           for jr in group's panels:     B micro-panel op(B)[pc, jr] → L1
///             for ir in ic's panels:      C[ir, jr] (+)= Apanel · Bpanel       (6×16 micro-kernel; MatMulBlock.swift)
///
/// A pass of depth ≤ `maxDepthForRowOrder` swaps the two inner loops (ir outer, jr inner), so that
/// consecutive tiles, each little work, write neighbouring lines of C.
///
/// With `plan.depthChunks` > 1 each task also gets a chunk of the passes; chunk 0 writes C, the
/// others their own buffer, added to C in chunk order at the end.
/// - Complexity: O(m·n·k) flops; copies O(k·n + m·k·⌈n / groupColumns⌉) floats when packing A.
///
/// `prepackedB`, when given, holds all of op(B) in panels (`PackedB`) and the plan has one column
/// block: nothing is packed and B is not read in place.
func matmulPacked(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool,
                  threads: Int, prepackedB: UnsafePointer<Float>? = nil) {
    let plan = MatMulPlan(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
    precondition(prepackedB == nil || plan.columns >= n, "matmulPacked: prepacked B needs one column block")
    let chunks = plan.depthChunks
    let scratch = Scratch()  // 64-byte aligned: no 32-byte load of a packed panel straddles two lines
    defer { scratch.release() }
    let packedB = prepackedB.map { UnsafeMutablePointer(mutating: $0) } ?? scratch.floats(plan.columns * k).baseAddress!
    let readsBInPlace = plan.readsBInPlace && prepackedB == nil
    let partials = scratch.floats((chunks - 1) * m * n).baseAddress!
    // Tasks write disjoint parts of packedB (one panel each), and of C or partials (one block each).
    nonisolated(unsafe) let (sa, sb, sc, sp, spartials) = (a, b, c, packedB, partials)

    var columnStart = 0
    while columnStart < n {
        let columns = min(plan.columns, n - columnStart)
        let panels = ceilDiv(columns, microColumns)
        let blockStart = columnStart
        if prepackedB != nil {
            // All of op(B) is in panels already.
        } else if readsBInPlace {
            // Full panels are read where they are; only a last partial panel needs zero padding.
            if columns % microColumns != 0 {
                packBPanels(sb, n: n, k: k, transposed: false, columnStart: blockStart + (panels - 1) * microColumns,
                            panels: 1, into: sp + (panels - 1) * microColumns * k)
            }
        } else {
            let perTask = MatMulBlocking.panelsPerPackingTask
            run(ceilDiv(panels, perTask), threads: threads) { group in
                let first = group * perTask
                packBPanels(sb, n: n, k: k, transposed: transposeB, columnStart: blockStart + first * microColumns,
                            panels: min(perTask, panels - first), into: sp + first * microColumns * k)
            }
        }
        let rowBlocks = ceilDiv(m, plan.rows)
        let groups = ceilDiv(columns, plan.groupColumns)
        run(rowBlocks * groups * chunks, threads: threads) { task in
            let (cell, chunk) = task.quotientAndRemainder(dividingBy: chunks)
            let rowStart = (cell / groups) * plan.rows
            let groupStart = (cell % groups) * plan.groupColumns
            let target = chunk == 0 ? sc : spartials + (chunk - 1) * m * n
            let firstColumn = blockStart + groupStart
            let bPanels = BPanels(packed: sp + groupStart * k, inPlace: readsBInPlace ? sb + firstColumn : nil,
                                  n: n, k: k, columnsLeft: n - firstColumn)
            multiplyBlock(sa, bPanels, target + firstColumn, m: m, n: n, k: k,
                          transposeA: transposeA, accumulate: accumulate && chunk == 0, plan: plan,
                          rowStart: rowStart, rows: min(plan.rows, m - rowStart),
                          columns: min(plan.groupColumns, columns - groupStart),
                          depthRange: plan.depthRange(chunk: chunk))
        }
        columnStart += columns
    }
    // C += chunk 1, then chunk 2, … (only when depthChunks > 1, which implies one column block).
    for chunk in 1..<max(1, chunks) {
        let partial = partials + (chunk - 1) * m * n
        var i = 0
        while i + 8 <= m * n {
            store8(load8(c + i) + load8(partial + i), c + i)
            i += 8
        }
        while i < m * n {
            c[i] += partial[i]
            i += 1
        }
    }
}

/// `parallelFor` when `threads` > 1, a plain loop otherwise.
@inline(__always)
private func run(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if threads > 1 {
        parallelFor(count, body)
    } else {
        for i in 0..<count { body(i) }
    }
}
