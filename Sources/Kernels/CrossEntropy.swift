// Softmax cross-entropy per row of [rows, cols] logits with integer labels and an optional mask:
// losses[r] = mask[r] · (logsumexp(logits[r, :]) − logits[r, label_r]),
// computed as (m − logit) + log Σ exp(· − m) with m the row maximum.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// losses[r] = mask[r] · (logsumexp(logits[r, :]) − logits[r, labels[r]]); `mask == nil` means all ones.
/// A row with mask 0 gives loss 0 (its label must still be in 0..<cols).
public func softmaxCrossEntropy(
    _ logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, mask: UnsafeBufferPointer<Float>?,
    into losses: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkCrossEntropySizes(logits.count, labels.count, mask?.count, losses.count, rows, cols)
    guard rows > 0, let pl = logits.baseAddress, let pt = labels.baseAddress, let po = losses.baseAddress else { return }
    nonisolated(unsafe) let (sl, st, sm, so) = (pl, pt, mask?.baseAddress, po)
    forEachChunk(rows, chunkSize: rowsPerChunk(cols)) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: range.count * (cols + 1)) { scratch in
            let (maxima, exponentials) = (scratch.baseAddress!, scratch.baseAddress! + range.count)
            expShiftedRows(sl + range.lowerBound * cols, rows: range.count, cols: cols, into: exponentials, maxima: maxima)
            for r in range {
                let label = Int(st[r])
                precondition(label >= 0 && label < cols,
                             "softmaxCrossEntropy: labels[\(r)] = \(label) is outside 0..<\(cols)")
                let local = r - range.lowerBound
                let total = rowSum(exponentials + local * cols, count: cols)
                let loss = (maxima[local] - sl[r * cols + label]) + logf(total)
                so[r] = (sm?[r] ?? 1) * loss
            }
        }
    }
}

/// Plain-loop specification of `softmaxCrossEntropy`.
public func softmaxCrossEntropyReference(
    _ logits: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, mask: UnsafeBufferPointer<Float>?,
    into losses: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int
) {
    checkCrossEntropySizes(logits.count, labels.count, mask?.count, losses.count, rows, cols)
    for r in 0..<rows {
        let label = Int(labels[r])
        precondition(label >= 0 && label < cols, "softmaxCrossEntropy: labels[\(r)] = \(label) is outside 0..<\(cols)")
        let row = UnsafeBufferPointer(rebasing: logits[r * cols..<(r + 1) * cols])
        let (largest, logTotal) = shiftedLogSumExpReference(row)
        let loss = (largest - row[label]) + logTotal
        losses[r] = (mask?[r] ?? 1) * loss
    }
}

func checkCrossEntropySizes(
    _ logitsCount: Int, _ labelsCount: Int, _ maskCount: Int?, _ lossesCount: Int, _ rows: Int, _ cols: Int
) {
    precondition(rows >= 0 && cols > 0 || rows == 0, "softmaxCrossEntropy: need cols > 0, got rows \(rows) cols \(cols)")
    precondition(logitsCount == rows * cols,
                 "softmaxCrossEntropy: logits has \(logitsCount) elements, expected rows \(rows) × cols \(cols)")
    precondition(labelsCount == rows && lossesCount == rows && (maskCount ?? rows) == rows,
                 "softmaxCrossEntropy: labels \(labelsCount), mask \(maskCount.map(String.init) ?? "nil"), "
                    + "losses \(lossesCount): each must have rows = \(rows) elements")
}
