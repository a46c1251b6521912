// Cache-blocking constants of `matmul` and how a problem is cut into blocks and parallel tasks.
// Every size here depends only on the shape (m, n, k, transposes), never on the thread count: that
// keeps results bit-identical.

/// Blocking constants, chosen for AMD EPYC (Zen 3: 32 KiB L1d and 512 KiB L2 per core, 32 MiB L3)
/// and checked by measurement (see Sources/Kernels/README.md).
enum MatMulBlocking {
    /// Depth of one pass (KC): a 16×KC packed B micro-panel is 16 KiB, half of L1d.
    static let maxDepth = 256
    /// Rows of C per task (MC): the MC×KC block of A one pass reads (packed or in place) is
    /// 144 KiB, under a third of L2, and is reused for every B panel of the task.
    static let maxRows = 144
    /// Upper bound on the floats of one packed B block (k × NC): 16 MiB, half of L3.
    static let maxPackedB = 4 << 20
    /// Problems with 2·m·n·k below this many flops use the direct path (no packing).
    static let directFlops = 2 * 24 * 24 * 24
    /// Depth passes at most this deep sweep C row panel by row panel (`multiplyBlock`).
    static let maxDepthForRowOrder = 32
    /// MC for a product no deeper than `maxDepthForRowOrder`: its A block (at most 126 KiB) is read once
    /// while C is swept, so the block need not stay in L2 for reuse, and longer blocks mean fewer tasks
    /// to hand out (W2's layer-1 forward 15680×9×64: 109 tasks → 16, 119 → 124 GFLOP/s on 2 threads).
    static let maxRowsForShallowDepth = 1008
    /// Problems with 2·m·n·k below this many flops run on one thread (task start-up costs ~10 µs).
    static let parallelFlops = 2 << 20
    /// Cut C into at least this many tasks when the shape allows it, so 2 threads balance well.
    static let targetTasks = 16
    /// Never make a row block shorter than this, so each B micro-panel loaded into L1 serves at
    /// least 4 micro-tiles.
    static let minRows = 4 * microRows
    /// Never make a column group narrower than this: each task packs its own A block, which only
    /// pays off when reused across at least 2 panels of B.
    static let minGroupPanels = 2
    /// A row-major B is read in place, not packed, when m is at most this: with so few rows each
    /// B element is used at most 6 times per pass, so a packed copy costs more than it saves
    /// (W3's layer-1 weight gradient 27×51200×32: 44 → 50 GFLOP/s on one thread with 36 instead of 12).
    static let maxRowsForUnpackedB = 6 * microRows
    /// …and n at most this: the kernel steps through B one row (n floats) at a time, and rows
    /// more than 1 KiB apart touch a new page almost every step (1×4096×4096 ran at 1 GFLOP/s).
    static let maxColumnsForUnpackedB = 256
    /// A transposed A (stored [k×m], every weight gradient colsᵀ·Ȳ) is read in place when m is at
    /// most this: each depth step reads 6 neighbours, and steps m floats apart stay under 4 KiB
    /// (4 KiB strides would map every step to the same L1 set). Above it, A is packed.
    static let maxRowsForUnpackedTransposedA = 960
    /// B panels packed by one parallel task (64 columns: a 256-byte run of each stored row).
    static let panelsPerPackingTask = 4
    /// Largest C (m·n floats) for which k may be split into chunks summed in separate buffers.
    static let maxSplitOutput = 1 << 20
    /// A transposed A with k at least this many times m is cut into depth chunks rather than
    /// short row blocks (see `MatMulPlan`).
    /// (W3's layer-2 weight gradient, 288×12800×32: 47 → 81 GFLOP/s on one thread, 2026-11-23.)
    static let minDepthPerRowForChunks = 4
    /// A transposed A with at most this many rows, a row-major B with at most this many columns
    /// and k at least this deep take `matmulDeepTransposedA` (early layers' weight gradients).
    static let maxRowsForDeepPath = 32
    static let maxColumnsForDeepPath = 128
    static let minDepthForDeepPath = 256
}

/// How one `matmul` call is cut up. Depth is split into `passes` equal passes of `depth`,
/// C's rows into blocks of `rows` (a multiple of 6), C's columns into packed B blocks of `columns`
/// and each of those into task groups of `groupColumns` (multiples of 16). When that still gives
/// few tasks and k is deep, the passes are also cut into `depthChunks` chunks (see `depthRange`).
struct MatMulPlan {
    let k: Int
    let depth: Int
    let passes: Int
    let rows: Int
    let columns: Int
    let groupColumns: Int
    let depthChunks: Int
    let readsBInPlace: Bool

    /// - Complexity: O(1).
    init(m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool) {
        self.k = k
        readsBInPlace = !transposeB && m <= MatMulBlocking.maxRowsForUnpackedB
            && n <= MatMulBlocking.maxColumnsForUnpackedB
        // KC: equal passes no deeper than maxDepth (k = 576 gives 3 × 192, not 256 + 256 + 64).
        passes = max(1, ceilDiv(k, MatMulBlocking.maxDepth))
        depth = ceilDiv(k, passes)

        // NC: as wide as n, unless the packed block k × NC would not fit maxPackedB.
        let fitting = max(microColumns, MatMulBlocking.maxPackedB / max(k, 1) / microColumns * microColumns)
        columns = min(roundUp(n, microColumns), fitting)

        // MC: equal row blocks, at most maxRows, more of them when that gives targetTasks. A deep
        // product with a transposed A (a weight gradient) keeps its rows together instead, so each
        // depth step reads long runs of stored A, and gets its tasks from depth chunks below.
        let shallow = k <= MatMulBlocking.maxDepthForRowOrder
        let rowBlocksBySize = ceilDiv(m, shallow ? MatMulBlocking.maxRowsForShallowDepth : MatMulBlocking.maxRows)
        let rowBlocksForTasks = min(MatMulBlocking.targetTasks, ceilDiv(m, MatMulBlocking.minRows))
        let deepTransposedA = transposeA && k >= MatMulBlocking.minDepthPerRowForChunks * m
        let rowBlocks = deepTransposedA ? rowBlocksBySize : max(rowBlocksBySize, rowBlocksForTasks)
        rows = roundUp(ceilDiv(m, rowBlocks), microRows)

        // Few row blocks (small m, say a weight gradient C[9×64] with k = 15680): cut the passes
        // into chunks too. Chunk t's sum goes to its own buffer, and the chunks are added to C in
        // order t = 0, 1, … afterwards, so the result still does not depend on the thread count.
        let rowTasks = ceilDiv(m, rows)
        let splittable = n <= columns && m * n <= MatMulBlocking.maxSplitOutput
        if splittable && 2 * rowTasks <= MatMulBlocking.targetTasks {
            depthChunks = min(passes, ceilDiv(MatMulBlocking.targetTasks, rowTasks))
        } else {
            depthChunks = 1
        }
        // Still too few tasks: split the columns as well (each group packs its own A block).
        let panels = columns / microColumns
        let groups = max(1, min(panels / MatMulBlocking.minGroupPanels,
                                ceilDiv(MatMulBlocking.targetTasks, rowTasks * depthChunks)))
        groupColumns = ceilDiv(panels, groups) * microColumns
    }

    /// The depth indices of chunk `chunk`: whole passes, the same for every thread count.
    /// - Complexity: O(1).
    func depthRange(chunk: Int) -> Range<Int> {
        let firstPass = chunk * passes / depthChunks
        let endPass = (chunk + 1) * passes / depthChunks
        return min(k, firstPass * depth)..<min(k, endPass * depth)
    }
}

@inline(__always)
func ceilDiv(_ x: Int, _ y: Int) -> Int { (x + y - 1) / y }

@inline(__always)
func roundUp(_ x: Int, _ multiple: Int) -> Int { ceilDiv(x, multiple) * multiple }
