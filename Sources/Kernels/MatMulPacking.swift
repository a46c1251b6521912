// Copies blocks of op(A) and op(B) into the panel layouts the micro-kernel reads, resolving the
// transposes here so the micro-kernel sees one layout. Panels past the matrix edge are padded with zeros.

/// Packs op(A)[rowStart ..< rowStart+rows, depthStart ..< depthStart+depth] into panels of 6 rows:
///
///     packed[panel·depth·6 + p·6 + r] = op(A)[rowStart + panel·6 + r, depthStart + p]    (0 where row ≥ m)
///
/// `a` is A[m×k] row-major, or Aᵀ stored [k×m] when `transposed`.
/// - Complexity: O(roundUp(rows, 6)·depth) copies; `packed` needs that many floats.
func packA(_ a: UnsafePointer<Float>, m: Int, k: Int, transposed: Bool,
           rowStart: Int, rows: Int, depthStart: Int, depth: Int, into packed: UnsafeMutablePointer<Float>) {
    var panelStart = 0
    var out = packed
    while panelStart < rows {
        let valid = min(microRows, rows - panelStart)
        let firstRow = rowStart + panelStart
        if transposed {
            // op(A)[i, p] = a[p·m + i]: the 6 rows of one column p are contiguous.
            var source = a + depthStart * m + firstRow
            for _ in 0..<depth {
                for r in 0..<valid { out[r] = source[r] }
                for r in valid..<microRows { out[r] = 0 }
                source += m
                out += microRows
            }
        } else if valid == microRows {
            // op(A)[i, p] = a[i·k + p]: read six rows side by side.
            let row0 = a + firstRow * k + depthStart
            let (row1, row2, row3, row4, row5) = (row0 + k, row0 + 2 * k, row0 + 3 * k, row0 + 4 * k, row0 + 5 * k)
            for p in 0..<depth {
                out[0] = row0[p]; out[1] = row1[p]; out[2] = row2[p]
                out[3] = row3[p]; out[4] = row4[p]; out[5] = row5[p]
                out += microRows
            }
        } else {
            let row0 = a + firstRow * k + depthStart
            for p in 0..<depth {
                for r in 0..<valid { out[r] = row0[r * k + p] }
                for r in valid..<microRows { out[r] = 0 }
                out += microRows
            }
        }
        panelStart += microRows
    }
}

/// Packs the 16 columns op(B)[0 ..< k, columnStart ..< columnStart+16] (all of k) into one panel:
///
///     panel[p·16 + j] = op(B)[p, columnStart + j]     (0 where column ≥ n)
///
/// `b` is B[k×n] row-major, or Bᵀ stored [n×k] when `transposed`.
/// - Complexity: O(16·k) copies; `panel` needs 16·k floats.
func packBPanel(_ b: UnsafePointer<Float>, n: Int, k: Int, transposed: Bool,
                columnStart: Int, into panel: UnsafeMutablePointer<Float>) {
    let valid = min(microColumns, n - columnStart)
    var out = panel
    if !transposed {
        // op(B)[p, j] = b[p·n + j]: each row of the panel is a contiguous run.
        var source = b + columnStart
        if valid == microColumns {
            for _ in 0..<k {
                store8(load8(source), out)
                store8(load8(source + 8), out + 8)
                source += n
                out += microColumns
            }
        } else {
            for _ in 0..<k {
                for j in 0..<valid { out[j] = source[j] }
                for j in valid..<microColumns { out[j] = 0 }
                source += n
                out += microColumns
            }
        }
        return
    }
    // op(B)[p, j] = b[j·k + p]: stored rows of B become panel columns. Copy 8 panel
    // columns at a time, reading 8 stored rows side by side.
    for half in stride(from: 0, to: microColumns, by: 8) {
        let count = max(0, min(8, valid - half))
        let rows = b + (columnStart + half) * k
        out = panel + half
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
