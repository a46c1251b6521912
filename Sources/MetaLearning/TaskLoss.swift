// Task losses and their reductions. The originals differ, and the reduction changes the
// effective inner learning rate, so it is explicit and recorded with every run.

import Autodiff

/// How per-example losses become one task loss.
public enum LossReduction: String, Sendable, Codable, CaseIterable {
    /// Mean over examples (MAML-tf's regression loss, PyTorch's default).
    case mean
    /// Σ losses / shots per class (cbfinn/maml `xent / update_batch_size`, summed by tf.gradients):
    /// way × the mean for balanced tasks.
    case sumOverShots
}

/// The loss of `predictions` against `targets`.
///
/// - Parameters:
///   - shotsPerClass: divides the sum for `.sumOverShots`; ignored for `.mean`.
public func taskLoss(_ predictions: Variable, _ targets: Targets, reduction: LossReduction,
                     shotsPerClass: Int = 1) -> Variable {
    let perExample: Variable
    switch targets {
    case .classes(let labels, _): perExample = predictions.softmaxCrossEntropy(labels: labels)
    case .values(let values):
        perExample = (predictions - predictions.constant(values)).squared().sum(alongAxis: 1)
    }
    switch reduction {
    case .mean: return perExample.mean()
    case .sumOverShots: return perExample.sum().scaled(by: 1 / Float(max(shotsPerClass, 1)))
    }
}

/// Fraction of rows whose largest logit is at the label (ties go to the lowest index).
public func accuracy(logits: Tensor, labels: [Int32]) -> Float {
    let classes = logits.shape[1]
    var correct = 0
    for (row, label) in labels.enumerated() {
        let slice = logits.scalars[(row * classes)..<((row + 1) * classes)]
        let best = slice.indices.max { slice[$0] < slice[$1] || (slice[$0] == slice[$1] && $0 > $1) }!
        if best - row * classes == Int(label) { correct += 1 }
    }
    return labels.isEmpty ? 0 : Float(correct) / Float(labels.count)
}

/// Holds the model outputs a loss closure computed last, so the query accuracy of a meta-gradient
/// comes from the query loss's own forward pass instead of a second one. One per task, one thread.
final class OutputRecorder: @unchecked Sendable {
    var outputs: Tensor?
}
