// Softmax and log-softmax over the last axis of a row-major [rows, cols] matrix.
// Each row subtracts its maximum first, so huge logits (1e4) neither overflow nor give NaN.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func checkRowsSizes(_ name: String, _ xCount: Int, _ outCount: Int, _ rows: Int, _ cols: Int) {
    precondition(rows >= 0 && cols >= 0, "\(name): negative size rows \(rows) cols \(cols)")
    precondition(xCount == rows * cols && outCount == rows * cols,
                 "\(name): x has \(xCount) and out \(outCount) elements, expected rows \(rows) × cols \(cols)")
}

/// out[r, j] = exp(x[r, j] − m_r) / Σₖ exp(x[r, k] − m_r), with m_r = maxₖ x[r, k].
public func softmaxRows(
    _ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkRowsSizes("softmaxRows", x.count, out.count, rows, cols)
    guard rows > 0, cols > 0, let px = x.baseAddress, let po = out.baseAddress else { return }
    nonisolated(unsafe) let (sx, so) = (px, po)
    forEachChunk(rows, chunkSize: rowsPerChunk(cols)) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: range.count) { maxima in
            let block = so + range.lowerBound * cols
            let rows = range.count
            expShiftedRows(sx + range.lowerBound * cols, rows: rows, cols: cols, into: block, maxima: maxima.baseAddress!)
            for r in 0..<rows {
                let row = block + r * cols
                let total = SIMD8<Float>(repeating: rowSum(row, count: cols))
                var j = 0
                while j + 8 <= cols {
                    store8(load8(row + j) / total, row + j)
                    j += 8
                }
                while j < cols {
                    row[j] /= total[0]
                    j += 1
                }
            }
        }
    }
}

/// out[r, j] = (x[r, j] − m_r) − log Σₖ exp(x[r, k] − m_r), which is x − logsumexp(x) at full
/// precision even when m_r is huge.
public func logSoftmaxRows(
    _ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkRowsSizes("logSoftmaxRows", x.count, out.count, rows, cols)
    guard rows > 0, cols > 0, let px = x.baseAddress, let po = out.baseAddress else { return }
    nonisolated(unsafe) let (sx, so) = (px, po)
    forEachChunk(rows, chunkSize: rowsPerChunk(cols)) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: range.count) { maxima in
            let first = range.lowerBound * cols
            // The exponentials go to `out` first; each row is then overwritten with its log-probabilities.
            expShiftedRows(sx + first, rows: range.count, cols: cols, into: so + first, maxima: maxima.baseAddress!)
            for r in 0..<range.count {
                let row = sx + first + r * cols, outRow = so + first + r * cols
                let logTotal = logf(rowSum(outRow, count: cols))
                let largest = maxima[r]
                for j in 0..<cols { outRow[j] = (row[j] - largest) - logTotal }
            }
        }
    }
}

/// Rows per parallel chunk: about 8K elements, at least one row.
func rowsPerChunk(_ cols: Int) -> Int { max(1, 8192 / max(cols, 1)) }

/// For a contiguous block of rows: maxima[r] = max of row r, out[r, :] = exp(x[r, :] − maxima[r]).
/// The exponentials run over the whole block at once, so the 8-lane exp streams instead of waiting
/// on one short row at a time.
@inline(__always)
func expShiftedRows(
    _ x: UnsafePointer<Float>, rows: Int, cols: Int,
    into out: UnsafeMutablePointer<Float>, maxima: UnsafeMutablePointer<Float>
) {
    for r in 0..<rows {
        let row = x + r * cols, outRow = out + r * cols
        let largest = rowMaximum(row, count: cols)
        maxima[r] = largest
        let shift = SIMD8<Float>(repeating: largest)
        var j = 0
        while j + 8 <= cols {
            store8(load8(row + j) - shift, outRow + j)
            j += 8
        }
        while j < cols {
            outRow[j] = row[j] - largest
            j += 1
        }
    }
    let count = rows * cols
    var i = 0
    while i + 8 <= count {
        store8(exp8(load8(out + i)), out + i)
        i += 8
    }
    if i < count { storePartial8(exp8(loadPartial8(out + i, count: count - i, fill: 0)), out + i, count: count - i) }
}

/// max of p[0..<count] (−inf for count 0).
@inline(__always)
func rowMaximum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var best = SIMD8<Float>(repeating: -.infinity)
    var j = 0
    while j + 8 <= count {
        let v = load8(p + j)
        best = best.replacing(with: v, where: v .> best)
        j += 8
    }
    var largest = horizontalMax(best)
    while j < count {
        largest = max(largest, p[j])
        j += 1
    }
    return largest
}

/// Σ p[0..<count] in Float: eight lanes, then the tail.
@inline(__always)
func rowSum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var j = 0
    while j + 8 <= count {
        lanes += load8(p + j)
        j += 8
    }
    var total = horizontalSum(lanes)
    while j < count {
        total += p[j]
        j += 1
    }
    return total
}

/// Plain-loop specification of `softmaxRows`.
public func softmaxRowsReference(
    _ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkRowsSizes("softmaxRows", x.count, out.count, rows, cols)
    for r in 0..<rows {
        let row = r * cols
        var largest = -Float.infinity
        for j in 0..<cols { largest = max(largest, x[row + j]) }
        var total: Float = 0
        for j in 0..<cols {
            out[row + j] = expf(x[row + j] - largest)
            total += out[row + j]
        }
        for j in 0..<cols { out[row + j] /= total }
    }
}

/// Plain-loop specification of `logSoftmaxRows`: out = (x − m) − log Σ exp(x − m), which keeps
/// full precision near 0 even when m is huge.
public func logSoftmaxRowsReference(
    _ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkRowsSizes("logSoftmaxRows", x.count, out.count, rows, cols)
    for r in 0..<rows {
        let row = r * cols
        let (largest, logTotal) = shiftedLogSumExpReference(UnsafeBufferPointer(rebasing: x[row..<row + cols]))
        for j in 0..<cols { out[row + j] = (x[row + j] - largest) - logTotal }
    }
}

/// (m, log Σ exp(x[j] − m)) with m = max x, so logsumexp(x) = m + second. m = −inf for an empty row.
func shiftedLogSumExpReference(_ x: UnsafeBufferPointer<Float>) -> (largest: Float, logTotal: Float) {
    var largest = -Float.infinity
    for v in x { largest = max(largest, v) }
    if largest == -Float.infinity { return (largest, 0) }
    var total: Float = 0
    for v in x { total += expf(v - largest) }
    return (largest, logf(total))
}
