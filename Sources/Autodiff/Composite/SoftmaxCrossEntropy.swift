// Softmax cross-entropy per example, composed from log-softmax, a one-hot product and a row sum.
//
// ℓᵢ = −log softmax(logitsᵢ)[labelᵢ] · maskᵢ         logits: [rows, classes]   ℓ: [rows]

extension Variable {
    /// Per-example cross-entropy losses `[rows]` of logits `[rows, classes]` against integer labels.
    /// `mask` (0/1 or weights, `[rows]`) multiplies each loss; nil means all ones.
    public func softmaxCrossEntropy(labels: [Int32], mask: Tensor? = nil) -> Variable {
        precondition(shape.count == 2 && labels.count == shape[0],
                     "softmaxCrossEntropy: logits \(shape), \(labels.count) labels")
        let classes = shape[1]
        var oneHot = Tensor(zeros: shape)
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && Int(label) < classes, "softmaxCrossEntropy: label \(label) of \(classes)")
            oneHot.scalars[row * classes + Int(label)] = mask?.scalars[row] ?? 1
        }
        return -(logSoftmaxRows() * constant(oneHot)).sum(alongAxis: 1)
    }
}
