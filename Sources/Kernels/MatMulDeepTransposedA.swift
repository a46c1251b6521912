// The weight gradient of an early convolution layer, C[m×n] = Aᵀ·B with A = im2col(x) stored
// [k×m] and B = Ȳ stored [k×n]: few rows of C (m = kh·kw·cin = 9 or 27), few columns, and a very
// deep sum (k = every output position of a batch, 9216–14700). The blocked path pads m to panels of
// 6 and steps through rows of A and B that are too long for its in-place panels to stay in L1; this
// path streams A and B once, a block of depth steps at a time, and runs every register tile of C
// over the block while it is in L1.

/// C (+)= Aᵀ·B for A stored [k×m] and B stored [k×n] (`matmul` with transposeA, not transposeB).
///
///     C[i, j] = (accumulate ? C[i, j] : 0) + Σ_chunks Σ_{p in chunk} A[p, i]·B[p, j]
///
/// k is cut into `deepChunks(k:)` chunks (a function of k alone, so the bits do not depend on the
/// thread count). Chunks run in parallel, each summing its depth steps in order into its own
/// buffer; the buffers are added to C in chunk order. Register tiles are 6 rows × 32 columns in
/// AVX-512 builds (12 SIMD16 accumulators) while 6 rows are left, then 3 rows × 32 columns
/// (12 accumulators) while 3 rows are left (4 left with n < 64 go as two pairs), then 2 × 32 (8),
/// then 2 × 8, then single columns; an odd last row takes 1 × 64 tiles first.
/// - Complexity: O(m·n·k) flops; O(chunks·m·n) extra memory.
///
/// With a `mask` [k×n], B counts only where mask > 0 (0 elsewhere): `patchMaskedMoments`
/// multiplies by ḡ ⊙ [y > 0] without storing it. Each block of depth steps is masked once, into
/// a buffer in L1, before its tiles run.
func matmulDeepTransposedA(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                           m: Int, n: Int, k: Int, accumulate: Bool, threads: Int, mask: UnsafePointer<Float>? = nil) {
    let chunks = deepChunks(k: k)
    let scratch = Scratch()
    defer { scratch.release() }
    let partials = scratch.floats(chunks * m * n).baseAddress!
    nonisolated(unsafe) let (sa, sb, sp, sm) = (a, b, partials, mask)
    let body: @Sendable (Int) -> Void = { chunk in
        let depth = (chunk * k / chunks) ..< ((chunk + 1) * k / chunks)
        let sum = sp + chunk * m * n
        sum.update(repeating: 0, count: m * n)
        DeepTransposedBlocks(a: sa, b: sb, mask: sm, sum: sum, m: m, n: n).add(depth: depth)
    }
    if threads > 1 && chunks > 1 {
        parallelFor(chunks, body)
    } else {
        for chunk in 0..<chunks { body(chunk) }
    }
    for chunk in 0..<chunks {
        let partial = partials + chunk * m * n
        if chunk == 0 && !accumulate {
            c.update(from: partial, count: m * n)
        } else {
            addFloats(from: partial, to: c, count: m * n)
        }
    }
}

/// Depth chunks for k: about 512 steps each, at most 16 (enough tasks for 2 threads to balance).
func deepChunks(k: Int) -> Int { max(1, min(16, k / 512)) }

/// sum[m×n] += Σ_{p in depth} A[p, ·]ᵀ·B[p, ·], a block of depth steps at a time.
private struct DeepTransposedBlocks {
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    let mask: UnsafePointer<Float>?
    let sum: UnsafeMutablePointer<Float>
    let m: Int, n: Int

    func add(depth: Range<Int>) {
        // A block of steps: its rows of A and B (steps·(m + n) floats) stay within 24 KiB of L1.
        let steps = max(8, min(256, 6144 / (m + n)))
        let scratch = Scratch()
        defer { scratch.release() }
        let masked = mask == nil ? nil : scratch.floats(steps * n).baseAddress!
        for start in stride(from: depth.lowerBound, to: depth.upperBound, by: steps) {
            let count = min(steps, depth.upperBound - start)
            // The block's rows of B: in place, or masked into `masked`.
            var bRows = b + start * n
            if let mask, let masked {
                copyKeepingWherePositive(bRows, mask + start * n, into: masked, count: count * n)
                bRows = UnsafePointer(masked)
            }
            let block = Block(a: a + start * m, b: bRows, count: count)
            var row = 0
            #if METALEARN_AVX512
            // AVX-512: six rows at a time, 12 SIMD16 sums per 6×32 tile; the columns after the last
            // whole 32 go as two groups of three rows.
            while m - row >= 6 && n >= 32 {
                var column = 0
                while column + 32 <= n {
                    tile6x32(row, column, block)
                    column += 32
                }
                threeRows(row, from: column, block)
                threeRows(row + 3, from: column, block)
                row += 6
            }
            #endif
            // Three rows at a time while three are left: 12 independent sums per 3×32 tile. Four
            // rows left and fewer than 64 columns (no 1 × 64 tile for a last row) go as two pairs.
            while m - row >= 3 && (m - row != 4 || n >= 64) {
                threeRows(row, from: 0, block)
                row += 3
            }
            // The rest in pairs: one or two rows left, or four with n < 64.
            while row < m {
                // With one row left, the tile's second row is that row again: it computes and
                // stores the same values. Where 64 columns are left, a one-row tile does them instead
                // (still 8 independent sums), at half the work.
                let rows = (row, min(row + 1, m - 1))
                var column = 0
                if row == m - 1 {
                    while column + 64 <= n {
                        tile1x64(row, column, block)
                        column += 64
                    }
                }
                while column + 32 <= n {
                    tile2x32(rows, column, block)
                    column += 32
                }
                while column + 8 <= n {
                    tile2x8(rows, column, block)
                    column += 8
                }
                while column < n {
                    for r in row ..< min(row + 2, m) { single(r, column, block) }
                    column += 1
                }
                row += 2
            }
        }
    }

    /// sum[row ..< +3, column ..< n] += the block's products: 3×32 tiles, then pairs of 8, then singles.
    @inline(__always)
    private func threeRows(_ row: Int, from start: Int, _ block: Block) {
        var column = start
        while column + 32 <= n {
            tile3x32(row, column, block)
            column += 32
        }
        while column + 8 <= n {
            tile2x8((row, row + 1), column, block)
            tile2x8((row + 2, row + 2), column, block)
            column += 8
        }
        while column < n {
            for r in row ..< row + 3 { single(r, column, block) }
            column += 1
        }
    }

    #if METALEARN_AVX512
    /// sum[row ..< +6, column ..< +32] += Σ_p A[p, row ..< +6]ᵀ·B[p, column ..< +32] in 12 SIMD16
    /// accumulators (AVX-512): per step two B vectors and six broadcasts, each folded into its FMA.
    @inline(__always)
    private func tile6x32(_ row: Int, _ column: Int, _ block: Block) {
        let t = sum + row * n + column
        var (x0, x1) = (load16(t), load16(t + 16))
        var (y0, y1) = (load16(t + n), load16(t + n + 16))
        var (z0, z1) = (load16(t + 2 * n), load16(t + 2 * n + 16))
        var (u0, u1) = (load16(t + 3 * n), load16(t + 3 * n + 16))
        var (v0, v1) = (load16(t + 4 * n), load16(t + 4 * n + 16))
        var (w0, w1) = (load16(t + 5 * n), load16(t + 5 * n + 16))
        var (pa, pb) = (block.a + row, block.b + column)
        for _ in 0..<block.count {
            let (b0, b1) = (load16(pb), load16(pb + 16))
            var s = SIMD16<Float>(repeating: pa[0])
            x0 = x0.plusProduct(s, b0); x1 = x1.plusProduct(s, b1)
            s = SIMD16<Float>(repeating: pa[1])
            y0 = y0.plusProduct(s, b0); y1 = y1.plusProduct(s, b1)
            s = SIMD16<Float>(repeating: pa[2])
            z0 = z0.plusProduct(s, b0); z1 = z1.plusProduct(s, b1)
            s = SIMD16<Float>(repeating: pa[3])
            u0 = u0.plusProduct(s, b0); u1 = u1.plusProduct(s, b1)
            s = SIMD16<Float>(repeating: pa[4])
            v0 = v0.plusProduct(s, b0); v1 = v1.plusProduct(s, b1)
            s = SIMD16<Float>(repeating: pa[5])
            w0 = w0.plusProduct(s, b0); w1 = w1.plusProduct(s, b1)
            pa += m
            pb += n
        }
        store16(x0, t); store16(x1, t + 16)
        store16(y0, t + n); store16(y1, t + n + 16)
        store16(z0, t + 2 * n); store16(z1, t + 2 * n + 16)
        store16(u0, t + 3 * n); store16(u1, t + 3 * n + 16)
        store16(v0, t + 4 * n); store16(v1, t + 4 * n + 16)
        store16(w0, t + 5 * n); store16(w1, t + 5 * n + 16)
    }
    #endif

    /// A block of depth steps: its first rows of A and B, and how many.
    struct Block {
        let a: UnsafePointer<Float>
        let b: UnsafePointer<Float>
        let count: Int
    }

    /// sum[row ..< +3, column ..< +32] += Σ_p A[p, row ..< +3]ᵀ·B[p, column ..< +32] in 12 accumulators,
    /// 3 broadcasts and one B vector at a time (16 ymm registers). 12 independent sums keep both
    /// fused multiply-add units busy where the 8 of a 2×32 tile left them waiting on latency.
    @inline(__always)
    private func tile3x32(_ row: Int, _ column: Int, _ block: Block) {
        let (t0, t1, t2) = (sum + row * n + column, sum + (row + 1) * n + column, sum + (row + 2) * n + column)
        var (x0, x1, x2, x3) = (load8(t0), load8(t0 + 8), load8(t0 + 16), load8(t0 + 24))
        var (y0, y1, y2, y3) = (load8(t1), load8(t1 + 8), load8(t1 + 16), load8(t1 + 24))
        var (z0, z1, z2, z3) = (load8(t2), load8(t2 + 8), load8(t2 + 16), load8(t2 + 24))
        var (pa, pb) = (block.a + row, block.b + column)
        for _ in 0..<block.count {
            let (sx, sy, sz) = (SIMD8<Float>(repeating: pa[0]), SIMD8<Float>(repeating: pa[1]), SIMD8<Float>(repeating: pa[2]))
            var b = load8(pb)
            x0 = x0.plusProduct(sx, b); y0 = y0.plusProduct(sy, b); z0 = z0.plusProduct(sz, b)
            b = load8(pb + 8)
            x1 = x1.plusProduct(sx, b); y1 = y1.plusProduct(sy, b); z1 = z1.plusProduct(sz, b)
            b = load8(pb + 16)
            x2 = x2.plusProduct(sx, b); y2 = y2.plusProduct(sy, b); z2 = z2.plusProduct(sz, b)
            b = load8(pb + 24)
            x3 = x3.plusProduct(sx, b); y3 = y3.plusProduct(sy, b); z3 = z3.plusProduct(sz, b)
            pa += m
            pb += n
        }
        store32(x0, x1, x2, x3, t0)
        store32(y0, y1, y2, y3, t1)
        store32(z0, z1, z2, z3, t2)
    }

    /// sum[rows, column ..< +32] += Σ_p A[p, rows]ᵀ·B[p, column ..< +32] in 8 registers: the last two rows.
    @inline(__always)
    private func tile2x32(_ rows: (Int, Int), _ column: Int, _ block: Block) {
        let (t0, t1) = (sum + rows.0 * n + column, sum + rows.1 * n + column)
        var (x0, x1, x2, x3) = (load8(t0), load8(t0 + 8), load8(t0 + 16), load8(t0 + 24))
        var (y0, y1, y2, y3) = (load8(t1), load8(t1 + 8), load8(t1 + 16), load8(t1 + 24))
        var (pa, pb) = (block.a, block.b + column)
        for _ in 0..<block.count {
            let (b0, b1, b2, b3) = (load8(pb), load8(pb + 8), load8(pb + 16), load8(pb + 24))
            var s = SIMD8<Float>(repeating: pa[rows.0])
            x0 = x0.plusProduct(s, b0); x1 = x1.plusProduct(s, b1)
            x2 = x2.plusProduct(s, b2); x3 = x3.plusProduct(s, b3)
            s = SIMD8<Float>(repeating: pa[rows.1])
            y0 = y0.plusProduct(s, b0); y1 = y1.plusProduct(s, b1)
            y2 = y2.plusProduct(s, b2); y3 = y3.plusProduct(s, b3)
            pa += m
            pb += n
        }
        store8(y0, t1); store8(y1, t1 + 8); store8(y2, t1 + 16); store8(y3, t1 + 24)
        store8(x0, t0); store8(x1, t0 + 8); store8(x2, t0 + 16); store8(x3, t0 + 24)
    }

    /// sum[row, column ..< +64] += Σ_p A[p, row]·B[p, column ..< +64] in 8 registers: an odd last row.
    @inline(__always)
    private func tile1x64(_ row: Int, _ column: Int, _ block: Block) {
        let t = sum + row * n + column
        var (x0, x1, x2, x3) = (load8(t), load8(t + 8), load8(t + 16), load8(t + 24))
        var (x4, x5, x6, x7) = (load8(t + 32), load8(t + 40), load8(t + 48), load8(t + 56))
        var (pa, pb) = (block.a + row, block.b + column)
        for _ in 0..<block.count {
            let s = SIMD8<Float>(repeating: pa[0])
            x0 = x0.plusProduct(s, load8(pb)); x1 = x1.plusProduct(s, load8(pb + 8))
            x2 = x2.plusProduct(s, load8(pb + 16)); x3 = x3.plusProduct(s, load8(pb + 24))
            x4 = x4.plusProduct(s, load8(pb + 32)); x5 = x5.plusProduct(s, load8(pb + 40))
            x6 = x6.plusProduct(s, load8(pb + 48)); x7 = x7.plusProduct(s, load8(pb + 56))
            pa += m
            pb += n
        }
        store32(x0, x1, x2, x3, t)
        store32(x4, x5, x6, x7, t + 32)
    }

    /// sum[rows, column ..< +8] += Σ_p A[p, rows]ᵀ·B[p, column ..< +8].
    @inline(__always)
    private func tile2x8(_ rows: (Int, Int), _ column: Int, _ block: Block) {
        let (t0, t1) = (sum + rows.0 * n + column, sum + rows.1 * n + column)
        var (x, y) = (load8(t0), load8(t1))
        var (pa, pb) = (block.a, block.b + column)
        for _ in 0..<block.count {
            let bv = load8(pb)
            x = x.plusProduct(SIMD8(repeating: pa[rows.0]), bv)
            y = y.plusProduct(SIMD8(repeating: pa[rows.1]), bv)
            pa += m
            pb += n
        }
        store8(y, t1)
        store8(x, t0)
    }

    /// sum[row, column] += Σ_p A[p, row]·B[p, column].
    @inline(__always)
    private func single(_ row: Int, _ column: Int, _ block: Block) {
        var s = sum[row * n + column]
        var (pa, pb) = (block.a + row, block.b + column)
        for _ in 0..<block.count {
            s = s.plusProduct(pa[0], pb[0])
            pa += m
            pb += n
        }
        sum[row * n + column] = s
    }
}
