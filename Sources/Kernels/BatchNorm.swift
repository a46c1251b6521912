// Batch normalization with batch statistics over x [rows, channels] (rows = batch·height·width, NHWC).
// Population variance; mean and 1/sqrt(var + eps) are written out for the backward pass.

/// y = (x − mean)·invStd·(scale ?? 1) + offset, per channel, with
/// mean[c] = (1/rows) Σᵣ x[r, c], var[c] = (1/rows) Σᵣ (x[r, c] − mean[c])², invStd[c] = 1/√(var[c] + ε).
public func batchNormalize(
    _ x: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?,
    into y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>, inverseStd: UnsafeMutableBufferPointer<Float>,
    rows: Int, channels: Int, epsilon: Float
) {
    batchNormalizeReference(x, offset: offset, scale: scale, into: y, mean: mean, inverseStd: inverseStd, rows: rows, channels: channels, epsilon: epsilon)
}

/// Plain-loop specification of `batchNormalize` (two passes, Double accumulation).
public func batchNormalizeReference(
    _ x: UnsafeBufferPointer<Float>, offset: UnsafeBufferPointer<Float>, scale: UnsafeBufferPointer<Float>?,
    into y: UnsafeMutableBufferPointer<Float>, mean: UnsafeMutableBufferPointer<Float>, inverseStd: UnsafeMutableBufferPointer<Float>,
    rows: Int, channels: Int, epsilon: Float
) {
    checkBatchNormSizes(x.count, offset.count, scale?.count, y.count, mean.count, inverseStd.count, rows, channels, epsilon)
    for c in 0..<channels {
        var total: Double = 0
        for r in 0..<rows { total += Double(x[r * channels + c]) }
        let m = total / Double(rows)
        var squares: Double = 0
        for r in 0..<rows {
            let d = Double(x[r * channels + c]) - m
            squares += d * d
        }
        let variance = squares / Double(rows)
        mean[c] = Float(m)
        inverseStd[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
    }
    for r in 0..<rows {
        for c in 0..<channels {
            let normalized = (x[r * channels + c] - mean[c]) * inverseStd[c]
            y[r * channels + c] = normalized * (scale?[c] ?? 1) + offset[c]
        }
    }
}

func checkBatchNormSizes(
    _ xCount: Int, _ offsetCount: Int, _ scaleCount: Int?, _ yCount: Int, _ meanCount: Int, _ invStdCount: Int,
    _ rows: Int, _ channels: Int, _ epsilon: Float
) {
    precondition(rows > 0 && channels >= 0, "batchNormalize: need rows > 0 and channels >= 0, got rows \(rows) channels \(channels)")
    precondition(epsilon >= 0, "batchNormalize: epsilon must be >= 0, got \(epsilon)")
    precondition(xCount == rows * channels && yCount == rows * channels,
                 "batchNormalize: x has \(xCount) and y \(yCount) elements, expected rows \(rows) × channels \(channels)")
    precondition(offsetCount == channels && (scaleCount ?? channels) == channels && meanCount == channels && invStdCount == channels,
                 "batchNormalize: offset \(offsetCount), scale \(scaleCount.map(String.init) ?? "nil"), mean \(meanCount), inverseStd \(invStdCount): each must have channels = \(channels) elements")
}
