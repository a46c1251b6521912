// Bayesian TAML evaluation on fixed tasks: validation with posterior means, test with S Monte-Carlo
// samples and averaged softmax (TAMLPrediction.swift). Tasks run in parallel; each task's noise
// comes from its own seeded generator, so results do not depend on the thread count.

import Autodiff
import Foundation
import Kernels
import NN
import Randomness

extension BayesianTAML {
    /// Adapts to each task with `steps` inner steps and scores the averaged query probabilities:
    /// loss = mean −log p̄(y), accuracy of argmax p̄, as mean ± 95% CI over the tasks.
    ///
    /// - Parameters:
    ///   - samples: S Monte-Carlo samples per task (0: posterior means, l2b's validation).
    ///   - seed: the noise of task i is drawn from a generator seeded by (seed, i).
    /// - Returns: one `StepEvaluation`, after `steps` steps.
    /// - Precondition: every task passes `validate(_:parameters:)`.
    public func evaluate(parameters: Parameters, stepSizes: Parameters?, encoderParameters: Parameters?,
                         taskCount: Int, steps: Int, samples: Int, seed: UInt64,
                         task: @Sendable (Int) -> FewShotTask) -> EvaluationResult {
        precondition(taskCount > 0 && steps >= 0 && samples >= 0,
                     "BayesianTAML.evaluate: \(taskCount) tasks, \(steps) steps, \(samples) samples")
        let slots = UnsafeMutableBufferPointer<(loss: Double, accuracy: Double)>.allocate(capacity: taskCount)
        slots.initialize(repeating: (0, 0))
        defer { slots.deinitialize(); slots.deallocate() }
        // Each task writes only its own slot.
        nonisolated(unsafe) let results = slots
        let model = self
        parallelFor(taskCount) { index in
            let task = task(index)
            var generator = SplitMix64(state: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            let (probabilities, accuracy) = model.predictQuery(
                parameters: parameters, stepSizes: stepSizes, encoderParameters: encoderParameters, task: task,
                samples: samples, steps: steps, using: &generator)
            guard case .classes(let labels, let way) = task.queryTargets else { preconditionFailure("classification only") }
            let loss = labels.enumerated().reduce(0.0) { total, row in
                total - log(Double(probabilities.scalars[row.offset * way + Int(row.element)]))
            } / Double(labels.count)
            results[index] = (loss, Double(accuracy))
        }
        let losses = slots.map(\.loss)
        let final = StepEvaluation(steps: steps, loss: MeanWithInterval(losses),
                                   accuracy: MeanWithInterval(slots.map(\.accuracy)),
                                   divergedEpisodes: losses.filter { !$0.isFinite }.count)
        return EvaluationResult(perStep: [final], episodes: taskCount)
    }
}
