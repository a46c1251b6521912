// Batch normalization with batch statistics, composed from elementary differentiable ops.
// The reference for the fused primitive in Ops/BatchNorm.swift (tests compare the two).
//
// x: [rows, c] (rows = b·h·w for images)   μ = mean over rows   σ² = mean((x − μ)²)  (population)
// y = (x − μ)/√(σ² + ε) · scale + offset

extension Variable {
    /// Normalizes each channel of `[..., c]` with the statistics of this batch, composed of
    /// elementary ops (slow; the specification of `batchNormalized`).
    ///
    /// - Parameters:
    ///   - offset: β, `[c]` (TensorFlow's `center=True`).
    ///   - scale: γ, `[c]`, or nil (TensorFlow's default `scale=False`, used by MAML and l2b).
    ///   - epsilon: added to the variance; 1e-3 in TensorFlow's `batch_norm`.
    public func batchNormalizedComposite(offset: Variable?, scale: Variable? = nil, epsilon: Float = 1e-3) -> Variable {
        let originalShape = shape
        let channels = shape[shape.count - 1]
        let rows = value.count / channels
        let x = reshaped(to: [rows, channels])
        let mean = x.sum(alongAxis: 0).scaled(by: 1 / Float(rows))
        let centered = x - mean.broadcast(alongAxis: 0, size: rows)
        let variance = centered.squared().sum(alongAxis: 0).scaled(by: 1 / Float(rows))
        var factor = variance.adding(epsilon).reciprocalSquareRoot()
        if let scale { factor = factor * scale }
        var y = centered * factor.broadcast(alongAxis: 0, size: rows)
        if let offset { y = y.addingBias(offset) }
        return y.reshaped(to: originalShape)
    }
}
