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
    softmaxRowsReference(x, into: out, rows: rows, cols: cols)
}

/// out[r, j] = x[r, j] − logsumexp(x[r, :]).
public func logSoftmaxRows(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int) {
    logSoftmaxRowsReference(x, into: out, rows: rows, cols: cols)
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
