// Copies blocks of op(A) and op(B) into the panels the micro-kernel reads, in whichever order reads the
// source in the longest runs. Panels past the matrix edge are padded with zeros: the kernel has no edge cases.

/// How a packed A panel (6 rows × depth) is laid out: whichever makes packing a contiguous copy.
/// The micro-kernel reads element (r, p) of a panel at `r·rowStride + p·depthStride`.
struct APanelLayout {
    let rowStride: Int
    let depthStride: Int

    /// A stored row-major [m×k]: each panel row is a run of floats of one stored row, `rowStride`
    /// apart (the packed depth, or k when the kernel reads A where it is stored).
    static func rowMajor(rowStride: Int) -> APanelLayout { APanelLayout(rowStride: rowStride, depthStride: 1) }
    /// A stored transposed [k×m]: the 6 values of one depth step p are neighbours in stored row p.
    static let depthMajor = APanelLayout(rowStride: 1, depthStride: microRows)
}

/// Packs op(A)[rowStart ..< rowStart+rows, depthStart ..< depthStart+depth] into panels of 6 rows,
/// each 6·depth floats, rows past `rows` filled with 0:
///
///     not transposed (A[m×k]):   packed[panel·6·depth + r·depth + p] = A[row, depthStart + p]
///     transposed (A stored [k×m]): packed[panel·6·depth + p·6 + r] = A[depthStart + p, row]
///
/// where row = rowStart + panel·6 + r. Not transposed, each panel row is one contiguous copy.
/// - Complexity: O(roundUp(rows, 6)·depth) copies; `packed` needs that many floats.
func packA(_ a: UnsafePointer<Float>, m: Int, k: Int, transposed: Bool,
           rowStart: Int, rows: Int, depthStart: Int, depth: Int, into packed: UnsafeMutablePointer<Float>) {
    let panels = ceilDiv(rows, microRows)
    if !transposed {
        for row in 0..<(panels * microRows) {
            let target = packed + row * depth
            if row < rows {
                target.update(from: a + (rowStart + row) * k + depthStart, count: depth)
            } else {
                target.update(repeating: 0, count: depth)
            }
        }
        return
    }
    // Transposed: copy 6 neighbours per depth step. Go 8 depth steps at a time, panel by panel, so
    // the 8 source rows stay in L1 (even 4 KiB apart, with 8-way sets) and each panel is written
    // as one sequential stream. Measured 2x faster than whole-panel or whole-row order.
    let stepsPerBlock = 8
    for blockStart in stride(from: 0, to: depth, by: stepsPerBlock) {
        let steps = min(stepsPerBlock, depth - blockStart)
        for panel in 0..<panels {
            let valid = min(microRows, rows - panel * microRows)
            var source = a + (depthStart + blockStart) * m + rowStart + panel * microRows
            var target = packed + panel * microRows * depth + blockStart * microRows
            for _ in 0..<steps {
                if valid == microRows {
                    UnsafeMutableRawPointer(target).storeBytes(
                        of: UnsafeRawPointer(source).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                    target[4] = source[4]
                    target[5] = source[5]
                } else {
                    for r in 0..<valid { target[r] = source[r] }
                    for r in valid..<microRows { target[r] = 0 }
                }
                source += m
                target += microRows
            }
        }
    }
}

/// Packs `panels` consecutive 16-column panels of op(B), all of k, starting at column `columnStart`;
/// panel q goes to `packed + q·16·k`:
///
///     packed[q·16·k + p·16 + j] = op(B)[p, columnStart + 16·q + j]     (0 where column ≥ n)
///
/// `b` is B[k×n] row-major, or Bᵀ stored [n×k] when `transposed`.
/// - Complexity: O(16·panels·k) copies; `packed` needs that many floats.
func packBPanels(_ b: UnsafePointer<Float>, n: Int, k: Int, transposed: Bool,
                 columnStart: Int, panels: Int, into packed: UnsafeMutablePointer<Float>) {
    if transposed {
        for q in 0..<panels {
            packTransposedBPanel(b, n: n, k: k, columnStart: columnStart + q * microColumns,
                                 into: packed + q * microColumns * k)
        }
        return
    }
    // op(B)[p, j] = b[p·n + j]: 16 contiguous floats per row and panel. Go 8 rows at a time
    // across all panels, so each stored row is read in one sweep (rows of a wide B are a page
    // apart or more; panel by panel, every step would touch a new page).
    let rowsPerBlock = 8
    for blockStart in stride(from: 0, to: k, by: rowsPerBlock) {
        let blockEnd = min(k, blockStart + rowsPerBlock)
        for q in 0..<panels {
            let first = columnStart + q * microColumns
            let valid = min(microColumns, n - first)
            var source = b + blockStart * n + first
            var out = packed + q * microColumns * k + blockStart * microColumns
            for _ in blockStart..<blockEnd {
                if valid == microColumns {
                    store8(load8(source), out)
                    store8(load8(source + 8), out + 8)
                } else {
                    for j in 0..<valid { out[j] = source[j] }
                    for j in valid..<microColumns { out[j] = 0 }
                }
                source += n
                out += microColumns
            }
        }
    }
}

/// One panel of a transposed B (stored [n×k]): op(B)[p, j] = b[j·k + p], so stored rows become
/// panel columns. Copies 8 panel columns at a time, reading 8 stored rows side by side.
/// - Complexity: O(16·k) copies.
private func packTransposedBPanel(_ b: UnsafePointer<Float>, n: Int, k: Int, columnStart: Int,
                                  into panel: UnsafeMutablePointer<Float>) {
    let valid = min(microColumns, n - columnStart)
    for half in stride(from: 0, to: microColumns, by: 8) {
        let count = max(0, min(8, valid - half))
        let rows = b + (columnStart + half) * k
        var out = panel + half
        if count == 8 {
            let (r0, r1, r2, r3) = (rows, rows + k, rows + 2 * k, rows + 3 * k)
            let (r4, r5, r6, r7) = (rows + 4 * k, rows + 5 * k, rows + 6 * k, rows + 7 * k)
            for p in 0..<k {
                store8(SIMD8(r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]), out)
                out += microColumns
            }
        } else {
            for p in 0..<k {
                for j in 0..<count { out[j] = rows[j * k + p] }
                for j in count..<8 { out[j] = 0 }
                out += microColumns
            }
        }
    }
}
