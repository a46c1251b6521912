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
public func softmaxRows(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    checkRowsSizes("softmaxRows", x.count, out.count, rows, cols)
    guard rows > 0, cols > 0, let px = x.baseAddress, let po = out.baseAddress else { return }
    nonisolated(unsafe) let (sx, so) = (px, po)
    forEachChunk(rows, chunkSize: rowsPerChunk(cols)) { range in
        for r in range {
            let row = sx + r * cols, outRow = so + r * cols
            let total = sumExpShifted(row, count: cols, shift: rowMaximum(row, count: cols), store: outRow)
            let inverse = SIMD8<Float>(repeating: 1 / total)
            var j = 0
            while j + 8 <= cols {
                store8(load8(outRow + j) * inverse, outRow + j)
                j += 8
            }
            while j < cols {
                outRow[j] *= inverse[0]
                j += 1
            }
        }
    }
}

/// out[r, j] = (x[r, j] − m_r) − log Σₖ exp(x[r, k] − m_r), which is x − logsumexp(x) at full
/// precision even when m_r is huge.
public func logSoftmaxRows(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    checkRowsSizes("logSoftmaxRows", x.count, out.count, rows, cols)
    guard rows > 0, cols > 0, let px = x.baseAddress, let po = out.baseAddress else { return }
    nonisolated(unsafe) let (sx, so) = (px, po)
    forEachChunk(rows, chunkSize: rowsPerChunk(cols)) { range in
        for r in range {
            let row = sx + r * cols, outRow = so + r * cols
            let largest = rowMaximum(row, count: cols)
            let logTotal = logf(sumExpShifted(row, count: cols, shift: largest, store: nil))
            for j in 0..<cols { outRow[j] = (row[j] - largest) - logTotal }
        }
    }
}

/// Rows per parallel chunk: about 8K elements, at least one row.
func rowsPerChunk(_ cols: Int) -> Int { max(1, 8192 / max(cols, 1)) }

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
    let tail = loadPartial8(p + j, count: count - j, fill: -.infinity)
    best = best.replacing(with: tail, where: tail .> best)
    return best.max()
}

/// Σ exp(p[j] − shift) over p[0..<count], also writing each term to `store` when given.
@inline(__always)
func sumExpShifted(_ p: UnsafePointer<Float>, count: Int, shift: Float, store: UnsafeMutablePointer<Float>?) -> Float {
    let s = SIMD8<Float>(repeating: shift)
    var total = SIMD8<Float>()
    var j = 0
    while j + 8 <= count {
        let e = exp8(load8(p + j) - s)
        if let store { store8(e, store + j) }
        total += e
        j += 8
    }
    if j < count {
        let e = exp8(loadPartial8(p + j, count: count - j, fill: -.infinity) - s)  // padding lanes give 0
        if let store { storePartial8(e, store + j, count: count - j) }
        total += e
    }
    return total.sum()
}

/// Plain-loop specification of `softmaxRows`.
public func softmaxRowsReference(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
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
public func logSoftmaxRowsReference(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
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
