// Few-shot evaluation: adapt on each task's support set for 0…N steps and score the query set
// after every step; report mean ± 95% confidence interval over tasks (1.96·std/√n, as every
// reference repository does). Tasks run in parallel; results do not depend on the thread count.

import Autodiff
import Foundation
import Kernels
import NN

/// A mean over independent episodes with its 95% confidence half-width.
public struct MeanWithInterval: Sendable, Equatable, Codable {
    public var mean: Double
    /// 1.96 · std / √n with the population standard deviation (numpy's `np.std`, used by
    /// cbfinn/maml and l2b).
    public var ci95: Double
    public var standardDeviation: Double
    public var count: Int

    /// Summarizes per-episode values (accumulated in Double, in order).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "MeanWithInterval: no values")
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        self.mean = mean
        standardDeviation = variance.squareRoot()
        ci95 = 1.96 * standardDeviation / n.squareRoot()
        count = values.count
    }
}

/// Query metrics after a given number of inner steps.
public struct StepEvaluation: Sendable, Equatable, Codable {
    /// Inner steps taken on the support set (0 = the meta-learned θ itself).
    public var steps: Int
    /// Query loss: mean squared error (regression) or mean cross-entropy (classification).
    public var loss: MeanWithInterval
    /// Query accuracy as a fraction in [0, 1] (classification only).
    public var accuracy: MeanWithInterval?
    /// Episodes whose query loss is NaN or infinite: the inner loop diverged (the loss mean is
    /// then not finite either; nothing is dropped).
    public var divergedEpisodes: Int
}

/// The evaluation of one learner on a fixed list of tasks.
public struct EvaluationResult: Sendable, Equatable, Codable {
    /// `perStep[k]` is the score after k inner steps, k = 0 … N.
    public var perStep: [StepEvaluation]
    public var episodes: Int

    /// The score after the most steps.
    public var final: StepEvaluation { perStep[perStep.count - 1] }
}

extension MetaLearner {
    /// Adapts to each task with `steps` inner steps (α = `innerLearningRate`, or the learned
    /// Meta-SGD step sizes) and scores the query set after every step.
    public func evaluate(parameters: Parameters, stepSizes: Parameters?, tasks: [FewShotTask],
                         steps: Int) -> EvaluationResult {
        evaluate(parameters: parameters, stepSizes: stepSizes, taskCount: tasks.count, steps: steps) { tasks[$0] }
    }

    /// The same, with tasks built on demand by `task(index)` (each worker builds, scores and
    /// drops its task, so large image episodes never all sit in memory at once).
    public func evaluate(parameters: Parameters, stepSizes: Parameters?, taskCount: Int, steps: Int,
                         task: @Sendable (Int) -> FewShotTask) -> EvaluationResult {
        precondition(taskCount > 0 && steps >= 0, "evaluate: \(taskCount) tasks, \(steps) steps")
        let slots = UnsafeMutableBufferPointer<[(loss: Double, accuracy: Double?)]>.allocate(capacity: taskCount)
        slots.initialize(repeating: [])
        defer { slots.deinitialize(); slots.deallocate() }
        // Each task writes only its own slot.
        nonisolated(unsafe) let results = slots
        let learner = self
        parallelFor(taskCount) { index in
            let task = task(index)
            let trajectory = learner.adaptationTrajectory(parameters: parameters, stepSizes: stepSizes,
                                                          task: task, steps: steps)
            results[index] = trajectory.map { learner.score(learner.predict($0, task.queryInputs), task.queryTargets) }
        }
        let perStep = (0...steps).map { k in
            let accuracies = slots.compactMap { $0[k].accuracy }
            let losses = slots.map { $0[k].loss }
            return StepEvaluation(steps: k, loss: MeanWithInterval(losses),
                                  accuracy: accuracies.isEmpty ? nil : MeanWithInterval(accuracies),
                                  divergedEpisodes: losses.filter { !$0.isFinite }.count)
        }
        return EvaluationResult(perStep: perStep, episodes: taskCount)
    }

    /// Query loss and accuracy of `outputs` `[count, outputs]` against `targets`.
    func score(_ outputs: Tensor, _ targets: Targets) -> (loss: Double, accuracy: Double?) {
        let columns = outputs.shape[1]
        switch targets {
        case .values(let values):
            // Mean over the query points of the squared error (summed over outputs).
            let total = zip(outputs.scalars, values.scalars).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            return (total / Double(targets.count), nil)
        case .classes(let labels, _):
            var total = 0.0
            for (row, label) in labels.enumerated() {
                let logits = outputs.scalars[(row * columns)..<((row + 1) * columns)].map(Double.init)
                let largest = logits.max()!
                let logSum = largest + log(logits.reduce(0) { $0 + exp($1 - largest) })
                total += logSum - logits[Int(label)]
            }
            return (total / Double(labels.count), Double(accuracy(logits: outputs, labels: labels)))
        }
    }
}
