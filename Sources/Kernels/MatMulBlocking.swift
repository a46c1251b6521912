// Cache-blocking constants of `matmul` and how a problem is cut into blocks and parallel tasks.
// Every size here depends only on (m, n, k), never on the thread count: that keeps results bit-identical.

/// Blocking constants, chosen for AMD EPYC (Zen 3: 32 KiB L1d and 512 KiB L2 per core, 32 MiB L3)
/// and checked by measurement (see Sources/Kernels/README.md).
enum MatMulBlocking {
    /// Depth of one pass (KC): a 16×KC packed B micro-panel is 16 KiB, half of L1d.
    static let maxDepth = 256
    /// Rows of C per task (MC): a packed MC×KC A block is 144 KiB, under a third of L2.
    static let maxRows = 144
    /// Upper bound on the floats of one packed B block (k × NC): 16 MiB, half of L3.
    static let maxPackedB = 4 << 20
    /// Problems with 2·m·n·k below this many flops use the direct path (no packing).
    static let directFlops = 2 * 24 * 24 * 24
    /// Problems with 2·m·n·k below this many flops run on one thread (task start-up costs ~10 µs).
    static let parallelFlops = 2 << 20
    /// Cut C into at least this many tasks when the shape allows it, so 2 threads balance well.
    static let targetTasks = 16
    /// Read full panels of a row-major A where they are stored instead of copying them.
    static let rowMajorAInPlace = true
    /// Never make a row block shorter than this, to keep packing A amortized.
    static let minRows = 4 * microRows
}

/// How one `matmul` call is cut up. Depth is split into `depthBlocks` equal passes of `depth`,
/// C's rows into blocks of `rows` (a multiple of 6), C's columns into packed B blocks of `columns`
/// and each of those into task groups of `groupColumns` (multiples of 16).
struct MatMulPlan {
    let depth: Int
    let rows: Int
    let columns: Int
    let groupColumns: Int

    /// - Complexity: O(1).
    init(m: Int, n: Int, k: Int) {
        // KC: equal passes no deeper than maxDepth (k = 576 gives 3 × 192, not 256 + 256 + 64).
        let passes = ceilDiv(k, MatMulBlocking.maxDepth)
        depth = ceilDiv(k, passes)

        // NC: as wide as n, unless the packed block k × NC would not fit maxPackedB.
        let fitting = max(microColumns, MatMulBlocking.maxPackedB / max(k, 1) / microColumns * microColumns)
        columns = min(roundUp(n, microColumns), fitting)

        // MC: equal row blocks, at most maxRows, more of them when that gives targetTasks.
        let rowBlocksBySize = ceilDiv(m, MatMulBlocking.maxRows)
        let rowBlocksForTasks = min(MatMulBlocking.targetTasks, ceilDiv(m, MatMulBlocking.minRows))
        let rowBlocks = max(rowBlocksBySize, rowBlocksForTasks)
        rows = roundUp(ceilDiv(m, rowBlocks), microRows)

        // Few row blocks (small m): also split the columns so there are still enough tasks.
        let panels = columns / microColumns
        let groups = min(panels, ceilDiv(MatMulBlocking.targetTasks, ceilDiv(m, rows)))
        groupColumns = ceilDiv(panels, groups) * microColumns
    }
}

@inline(__always)
func ceilDiv(_ x: Int, _ y: Int) -> Int { (x + y - 1) / y }

@inline(__always)
func roundUp(_ x: Int, _ multiple: Int) -> Int { ceilDiv(x, multiple) * multiple }
