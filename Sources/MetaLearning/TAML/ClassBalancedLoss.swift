// The support loss of Bayesian TAML (l2b `cross_entropy_perclass`): class weights softmax(ω)
// on the per-class SUMS of the losses, scaled by way/N. Uniform ω gives the mean loss.

import Autodiff

/// L = Σ_c softmax(ω)_c · (Σ_{i: yᵢ = c} ℓᵢ) · way / N, with ℓᵢ the cross-entropy of row i.
///
/// - Parameters:
///   - logits: `[N, way]`.
///   - labels: N labels in 0..<way.
///   - omega: `[way]`, one unnormalised weight per class.
public func classBalancedLoss(logits: Variable, labels: [Int32], way: Int, omega: Variable) -> Variable {
    let n = labels.count
    precondition(logits.shape == [n, way] && omega.value.count == way,
                 "classBalancedLoss: logits \(logits.shape), \(n) labels, ω \(omega.shape), way \(way)")
    var oneHot = Tensor(zeros: [n, way])
    for (row, label) in labels.enumerated() { oneHot.scalars[row * way + Int(label)] = 1 }
    let losses = logits.softmaxCrossEntropy(labels: labels).reshaped(to: [1, n])
    let classSums = matmul(losses, logits.constant(oneHot))                    // [1, way]
    let weights = omega.reshaped(to: [1, way]).logSoftmaxRows().exp()          // softmax(ω)
    return (classSums * weights).sum().scaled(by: Float(way) / Float(max(n, 1)))
}
