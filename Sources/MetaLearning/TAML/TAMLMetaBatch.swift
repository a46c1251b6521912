// A Bayesian TAML meta-batch: the tasks run in parallel on the cores and their losses and
// gradients are summed in task order, so the result is bit-identical whatever the thread count.

import Autodiff
import Kernels
import NN

/// The averaged meta-gradient of a Bayesian TAML meta-batch.
public struct TAMLBatchGradient: Sendable {
    /// Mean query cross-entropy over the tasks.
    public var queryLoss: Float
    /// Mean of the tasks' KL(q ‖ N(0, I)) / (N + M); 0 for deterministic TAML.
    public var klTerm: Float
    /// Mean query accuracy.
    public var queryAccuracy: Float
    /// Mean d(loss)/dθ, in the order of the model's parameters (batch-norm offsets included).
    public var parameterGradient: [Tensor]
    /// Mean d(loss)/dα; nil without α.
    public var stepSizeGradient: [Tensor]?
    /// Mean d(loss)/dφ for the set encoder; nil without it.
    public var encoderGradient: [Tensor]?

    /// The training objective: mean query loss + mean KL/(N + M) (l2b `cent + kl`).
    public var loss: Float { queryLoss + klTerm }
}

extension BayesianTAML {
    /// Task meta-gradients of `tasks` in parallel, averaged in task order:
    ///
    ///     g = (1/B) Σ_i ∇ [ L_query_i(θ_K,i) + KL_i / (N_i + M_i) ]     for θ, α, φ
    ///
    /// - Parameters:
    ///   - noise: one ε per task (one reparameterised sample each), or nil for posterior means.
    /// - Precondition: every task passes `validate(_:parameters:)`; `noise` is nil or has one
    ///   entry per task.
    public func metaBatchGradient(parameters: Parameters, stepSizes: Parameters?, encoderParameters: Parameters?,
                                  tasks: [FewShotTask], noise: [BalancingNoise]?) -> TAMLBatchGradient {
        precondition(!tasks.isEmpty, "BayesianTAML.metaBatchGradient: empty meta-batch")
        precondition(noise == nil || noise!.count == tasks.count,
                     "BayesianTAML.metaBatchGradient: \(noise?.count ?? 0) noise vectors for \(tasks.count) tasks")
        let model = self
        let all = parallelMap(tasks.count) { index in
            model.taskGradient(parameters: parameters, stepSizes: stepSizes, encoderParameters: encoderParameters,
                               task: tasks[index], noise: noise?[index])
        }
        let scale = 1 / Float(tasks.count)
        let mean = { (lists: [[Tensor]]) in meanInOrder(lists) }
        func meanScalar(_ values: [Float]) -> Float { values.reduce(0, +) * scale }
        return TAMLBatchGradient(
            queryLoss: meanScalar(all.map(\.queryLoss)), klTerm: meanScalar(all.map(\.klTerm)),
            queryAccuracy: meanScalar(all.map(\.queryAccuracy)),
            parameterGradient: mean(all.map(\.parameterGradient)),
            stepSizeGradient: stepSizes == nil ? nil : mean(all.map { $0.stepSizeGradient! }),
            encoderGradient: encoderParameters == nil ? nil : mean(all.map { $0.encoderGradient! }))
    }
}
