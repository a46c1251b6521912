// General matrix multiply: packed panels, cache blocking, a 6×16 SIMD micro-kernel, 2-core tasks.
// Results are bit-identical for any thread count: blocks depend only on the shape and k is summed in order.

/// C[m×n] (+)= op(A)·op(B), row-major contiguous. op(A) is A[m×k], or Aᵀ when transposeA (A stored [k×m]);
/// op(B) is B[k×n], or Bᵀ when transposeB (B stored [n×k]). accumulate: C += instead of C =.
///
///     C[i, j] = (accumulate ? C[i, j] : 0) + Σ_p op(A)[i, p] · op(B)[p, j]
///
/// With k = 0, C becomes 0 (or is unchanged when accumulating). `matmulReference` is the spec.
/// Buffers may be longer than needed; C must not overlap A or B.
/// - Complexity: O(m·n·k) time; O(k·min(n, NC) + MC·KC) extra memory for the packed panels.
public func matmul(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>,
                   into c: UnsafeMutableBufferPointer<Float>, m: Int, n: Int, k: Int,
                   transposeA: Bool = false, transposeB: Bool = false, accumulate: Bool = false) {
    matmul(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
           accumulate: accumulate, path: .automatic, threads: Parallelism.threads)
}

/// Which algorithm `matmul` uses; tests force each one on every shape.
enum MatMulPath {
    /// Direct for tiny problems (see `MatMulBlocking.directFlops`), packed otherwise.
    case automatic
    case direct
    case packed
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
    let flops = 2 * m * n * k
    let direct = path == .direct || (path == .automatic && flops < MatMulBlocking.directFlops)
    if direct {
        matmulDirect(pa, pb, pc, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                     accumulate: accumulate)
    } else {
        matmulPacked(pa, pb, pc, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                     accumulate: accumulate, threads: flops >= MatMulBlocking.parallelFlops ? threads : 1)
    }
}

/// The blocked path. For each packed B block of `plan.columns` columns (all of k, packed once and
/// shared), C is cut into tasks of `plan.rows` × `plan.groupColumns`. Each task, for each depth
/// pass in order, packs its A block and sweeps its micro-tiles:
///
///     for jc in column blocks:            pack op(B)[:, jc]                   (parallel over panels)
///       for (ic, group) in tasks:         (parallel; disjoint blocks of C)
///         for pc in depth passes:         pack op(A)[ic, pc]  → L2
///           for jr in group's panels:     B micro-panel op(B)[pc, jr] → L1
///             for ir in ic's panels:      C[ir, jr] (+)= Apanel · Bpanel       (6×16 micro-kernel)
///
/// - Complexity: O(m·n·k) flops; packing copies O(k·n + m·k·⌈n / groupColumns⌉) floats.
func matmulPacked(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                  m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool,
                  threads: Int) {
    let plan = MatMulPlan(m: m, n: n, k: k)
    let packedB = allocateCacheAligned(plan.columns * k)
    defer { packedB.deallocate() }
    // Tasks write disjoint parts of packedB (one panel each) and of C (one block each).
    nonisolated(unsafe) let (sa, sb, sc, sp) = (a, b, c, packedB)

    var columnStart = 0
    while columnStart < n {
        let columns = min(plan.columns, n - columnStart)
        let panels = ceilDiv(columns, microColumns)
        let blockStart = columnStart
        run(panels, threads: threads) { panel in
            packBPanel(sb, n: n, k: k, transposed: transposeB, columnStart: blockStart + panel * microColumns,
                       into: sp + panel * microColumns * k)
        }
        let rowBlocks = ceilDiv(m, plan.rows)
        let groups = ceilDiv(columns, plan.groupColumns)
        run(rowBlocks * groups, threads: threads) { task in
            let rowStart = (task / groups) * plan.rows
            let groupStart = (task % groups) * plan.groupColumns
            multiplyBlock(sa, packedB: sp + groupStart * k, sc + blockStart + groupStart, m: m, n: n, k: k,
                          transposeA: transposeA, accumulate: accumulate, plan: plan,
                          rowStart: rowStart, rows: min(plan.rows, m - rowStart),
                          columns: min(plan.groupColumns, columns - groupStart))
        }
        columnStart += columns
    }
}

/// One task: C[rowStart ..< +rows, 0 ..< columns] (+)= op(A)[rows, :] · packed B panels, where `c`
/// points at the task's first column and `packedB` at its first panel (k × 16 floats per panel).
/// - Complexity: O(rows·columns·k) flops; allocates one MC×KC buffer.
private func multiplyBlock(_ a: UnsafePointer<Float>, packedB: UnsafeMutablePointer<Float>,
                           _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                           transposeA: Bool, accumulate: Bool, plan: MatMulPlan,
                           rowStart: Int, rows: Int, columns: Int) {
    let scratchCount = microRows * microColumns
    let buffer = allocateCacheAligned(plan.rows * plan.depth + scratchCount)
    defer { buffer.deallocate() }
    let packedA = buffer
    let scratch = buffer + plan.rows * plan.depth
    let rowPanels = ceilDiv(rows, microRows)
    let columnPanels = ceilDiv(columns, microColumns)

    // Row-major A is already a row-major panel with row stride k: full panels are read in place
    // and only a last partial panel is copied (zero-padded). Transposed A is packed.
    let inPlace = !transposeA && MatMulBlocking.rowMajorAInPlace
    let fullPanels = rows / microRows
    var depthStart = 0
    while depthStart < k {
        let depth = min(plan.depth, k - depthStart)
        if !inPlace {
            packA(a, m: m, k: k, transposed: transposeA, rowStart: rowStart, rows: rows,
                  depthStart: depthStart, depth: depth, into: packedA)
        } else if fullPanels < rowPanels {
            packA(a, m: m, k: k, transposed: false, rowStart: rowStart + fullPanels * microRows,
                  rows: rows - fullPanels * microRows, depthStart: depthStart, depth: depth,
                  into: packedA + fullPanels * microRows * depth)
        }
        let addToC = accumulate || depthStart > 0
        for jr in 0..<columnPanels {
            let bPanel = UnsafePointer(packedB + jr * microColumns * k + depthStart * microColumns)
            let tileColumns = min(microColumns, columns - jr * microColumns)
            for ir in 0..<rowPanels {
                let row = rowStart + ir * microRows
                let cTile = c + row * n + jr * microColumns
                let tileRows = min(microRows, rows - ir * microRows)
                // Two call sites, so the compiler specializes the kernel for each layout's strides.
                if transposeA {
                    microTile(depth: depth, a: packedA + ir * microRows * depth, layout: .depthMajor, b: bPanel,
                              c: cTile, ldc: n, rows: tileRows, columns: tileColumns, addToC: addToC, scratch: scratch)
                } else {
                    let direct = inPlace && ir < fullPanels
                    let aPanel = direct ? a + row * k + depthStart : UnsafePointer(packedA + ir * microRows * depth)
                    microTile(depth: depth, a: aPanel, layout: .rowMajor(rowStride: direct ? k : depth), b: bPanel,
                              c: cTile, ldc: n, rows: tileRows, columns: tileColumns, addToC: addToC, scratch: scratch)
                }
            }
        }
        depthStart += depth
    }
}

/// Uninitialized room for `count` floats starting on a 64-byte cache line, so no 32-byte load
/// of a packed panel (each row 64 bytes) straddles two lines. Free with `deallocate()`.
private func allocateCacheAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        .bindMemory(to: Float.self, capacity: count)
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
