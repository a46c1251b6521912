// One task of the blocked product (`matmulPacked` in MatMul.swift): its block of C, pass by pass
// over the depth, tile by tile. A tile is the 6×16 micro-kernel, or with AVX-512 two neighbouring
// panels as one 6×32 tile (MatMulPanelPair.swift); edge tiles go through a scratch tile.

/// One task: C[rowStart ..< +rows, 0 ..< columns] (+)= op(A)[rows, depthRange] · op(B)[depthRange, …],
/// where `c` points at the task's first column and `b` finds the task's B panels. The first pass
/// stores into C unless `accumulate`; later passes add.
/// - Complexity: O(rows·columns·depthRange.count) flops; one MC×KC scratch buffer.
func multiplyBlock(_ a: UnsafePointer<Float>, _ b: BPanels,
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
struct BPanels {
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
