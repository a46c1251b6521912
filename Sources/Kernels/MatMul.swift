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
///             for ir in ic's panels:      C[ir, jr] (+)= Apanel · Bpanel       (6×16 micro-kernel)
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

/// One task: C[rowStart ..< +rows, 0 ..< columns] (+)= op(A)[rows, depthRange] · op(B)[depthRange, …],
/// where `c` points at the task's first column and `b` finds the task's B panels. The first pass
/// stores into C unless `accumulate`; later passes add.
/// - Complexity: O(rows·columns·depthRange.count) flops; one MC×KC scratch buffer.
private func multiplyBlock(_ a: UnsafePointer<Float>, _ b: BPanels,
                           _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                           transposeA: Bool, accumulate: Bool, plan: MatMulPlan,
                           rowStart: Int, rows: Int, columns: Int, depthRange: Range<Int>) {
    let scratchCount = microRows * microColumns
    let room = Scratch()
    defer { room.release() }
    let buffer = room.floats(plan.rows * plan.depth + scratchCount).baseAddress!
    let packedA = buffer
    let scratch = buffer + plan.rows * plan.depth
    let rowPanels = ceilDiv(rows, microRows)
    let columnPanels = ceilDiv(columns, microColumns)
    // Row-major A is already a row-major panel with row stride k, and a transposed A (stored [k×m])
    // a depth-major panel with depth stride m: full panels are read in place and only a last partial
    // panel is copied (zero-padded). A transposed A with long rows is packed (see MatMulBlocking).
    let inPlace = !transposeA || m <= MatMulBlocking.maxRowsForUnpackedTransposedA
    let fullPanels = rows / microRows
    // `depthStart` is a constant of each pass: `tile` captures it without a box or exclusivity checks.
    for depthStart in stride(from: depthRange.lowerBound, to: depthRange.upperBound, by: plan.depth) {
        let depth = min(plan.depth, depthRange.upperBound - depthStart)
        if !inPlace {
            packA(a, m: m, k: k, transposed: transposeA, rowStart: rowStart, rows: rows,
                  depthStart: depthStart, depth: depth, into: packedA)
        } else if fullPanels < rowPanels {
            packA(a, m: m, k: k, transposed: transposeA, rowStart: rowStart + fullPanels * microRows,
                  rows: rows - fullPanels * microRows, depthStart: depthStart, depth: depth,
                  into: packedA + fullPanels * microRows * depth)
        }
        let addToC = accumulate || depthStart > depthRange.lowerBound
        /// One micro-tile: rows of panel `ir`, columns of panel `jr`.
        @inline(__always)
        func tile(_ ir: Int, _ jr: Int) {
            let (bPanel, ldb) = b.panel(jr, depthStart: depthStart)
            let tileColumns = min(microColumns, columns - jr * microColumns)
            let row = rowStart + ir * microRows
            let cTile = c + row * n + jr * microColumns
            let tileRows = min(microRows, rows - ir * microRows)
            // Two call sites, so the compiler specializes the kernel for each layout's strides.
            let direct = inPlace && ir < fullPanels
            if transposeA {
                let aPanel = direct ? a + depthStart * m + row : UnsafePointer(packedA + ir * microRows * depth)
                let layout = direct ? APanelLayout(rowStride: 1, depthStride: m) : .depthMajor
                microTile(depth: depth, a: aPanel, layout: layout, b: bPanel, ldb: ldb,
                          c: cTile, ldc: n, rows: tileRows, columns: tileColumns, addToC: addToC, scratch: scratch)
            } else {
                let aPanel = direct ? a + row * k + depthStart : UnsafePointer(packedA + ir * microRows * depth)
                microTile(depth: depth, a: aPanel, layout: .rowMajor(rowStride: direct ? k : depth), b: bPanel, ldb: ldb,
                          c: cTile, ldc: n, rows: tileRows, columns: tileColumns, addToC: addToC, scratch: scratch)
            }
        }
        /// Panels `jr` and `jr + 1` of row panel `ir`: one 6×32 tile when both are whole and their B
        /// panels have one row stride (MatMulPanelPair.swift), two `tile`s otherwise.
        @inline(__always)
        func tilePair(_ ir: Int, _ jr: Int) {
            let (b0, ldb) = b.panel(jr, depthStart: depthStart)
            let (b1, ldb1) = b.panel(jr + 1, depthStart: depthStart)
            let row = rowStart + ir * microRows
            guard ir < fullPanels || (!inPlace && rows - ir * microRows >= microRows),
                  columns - jr * microColumns >= 2 * microColumns, ldb == ldb1 else {
                tile(ir, jr)
                tile(ir, jr + 1)
                return
            }
            let cTile = c + row * n + jr * microColumns
            let direct = inPlace && ir < fullPanels
            if transposeA {
                let aPanel = direct ? a + depthStart * m + row : UnsafePointer(packedA + ir * microRows * depth)
                let layout = direct ? APanelLayout(rowStride: 1, depthStride: m) : .depthMajor
                microKernelPair(depth: depth, a: aPanel, layout: layout, b0: b0, b1: b1, ldb: ldb, c: cTile, ldc: n,
                                addToC: addToC)
            } else {
                let aPanel = direct ? a + row * k + depthStart : UnsafePointer(packedA + ir * microRows * depth)
                microKernelPair(depth: depth, a: aPanel, layout: .rowMajor(rowStride: direct ? k : depth), b0: b0, b1: b1,
                                ldb: ldb, c: cTile, ldc: n, addToC: addToC)
            }
        }
        if depth <= MatMulBlocking.maxDepthForRowOrder {
            // A short depth makes each tile little work for the C lines it writes: sweep whole rows of
            // the block's C, so consecutive tiles write neighbouring lines.
            let fullColumnPanels = columns / microColumns
            for ir in 0..<rowPanels {
                if !transposeA && ir < fullPanels {
                    // Full tiles of a row-major A read in place: the kernel called directly. At depth 9
                    // (a one-channel conv layer) `tile`'s bookkeeping cost 5–10 % of the product.
                    let row = rowStart + ir * microRows
                    let aPanel = a + row * k + depthStart
                    let cRow = c + row * n
                    var jr = 0
                    while jr < fullColumnPanels {
                        let (bPanel, ldb) = b.panel(jr, depthStart: depthStart)
                        if jr + 1 < fullColumnPanels, case let (next, nextLdb) = b.panel(jr + 1, depthStart: depthStart),
                           nextLdb == ldb {
                            microKernelPair(depth: depth, a: aPanel, layout: .rowMajor(rowStride: k), b0: bPanel, b1: next,
                                            ldb: ldb, c: cRow + jr * microColumns, ldc: n, addToC: addToC)
                            jr += 2
                        } else {
                            microKernel6x16(depth: depth, a: aPanel, layout: .rowMajor(rowStride: k), b: bPanel, ldb: ldb,
                                            c: cRow + jr * microColumns, ldc: n, addToC: addToC)
                            jr += 1
                        }
                    }
                    for jr in fullColumnPanels..<columnPanels { tile(ir, jr) }
                } else {
                    for jr in 0..<columnPanels { tile(ir, jr) }
                }
            }
        } else if pairsColumnPanels {
            // AVX-512: each A panel serves two B panels while it is in registers' reach.
            for jr in stride(from: 0, to: columnPanels - 1, by: 2) {
                for ir in 0..<rowPanels { tilePair(ir, jr) }
            }
            if columnPanels % 2 == 1 {
                for ir in 0..<rowPanels { tile(ir, columnPanels - 1) }
            }
        } else {
            for jr in 0..<columnPanels {
                for ir in 0..<rowPanels { tile(ir, jr) }
            }
        }
    }
}

/// Where a task finds its 16-column B panels: packed (`k`·16 floats each, row stride 16), or, for
/// full panels of a row-major B when `inPlace` is set, in B itself (row stride n).
private struct BPanels {
    let packed: UnsafeMutablePointer<Float>
    let inPlace: UnsafePointer<Float>?
    let n: Int
    let k: Int
    let columnsLeft: Int

    /// Panel `index` from depth `depthStart` on, and its row stride.
    @inline(__always)
    func panel(_ index: Int, depthStart: Int) -> (UnsafePointer<Float>, Int) {
        if let inPlace, (index + 1) * microColumns <= columnsLeft {
            return (inPlace + depthStart * n + index * microColumns, n)
        }
        return (UnsafePointer(packed + index * microColumns * k + depthStart * microColumns), microColumns)
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
