// The meta-gradient of one Bayesian TAML task: the adjoint loop of MetaGradient.swift for θ₀,
// the batch-norm offsets and ω, then the chain rule back into θ, α and the encoder on a tape.

import Autodiff
import NN

/// One task's loss and meta-gradients.
public struct TAMLTaskGradient: Sendable {
    /// L_query(θ_K), the mean cross-entropy on the query set.
    public var queryLoss: Float
    /// KL(q ‖ N(0, I)) / (N + M); 0 for deterministic TAML or without the encoder.
    public var klTerm: Float
    public var queryAccuracy: Float
    /// d(loss)/dθ in the order of the model's parameters (zero for a head that starts at zero).
    public var parameterGradient: [Tensor]
    /// d(loss)/dα, in the order of `initialStepSizes`; nil without α.
    public var stepSizeGradient: [Tensor]?
    /// d(loss)/dφ for the encoder; nil without it.
    public var encoderGradient: [Tensor]?
    /// The ω, γ, z the task used (samples or means), nil when off.
    public var omega: Tensor?
    public var gamma: Tensor?
    public var z: Tensor?

    /// The task's training objective: query loss + KL/(N + M).
    public var loss: Float { queryLoss + klTerm }
}

extension BayesianTAML {
    /// Adapts on the support set, evaluates on the query set and differentiates
    /// loss = L_query(θ_K) + KL/(N+M) with respect to θ, α, φ (second order unless `firstOrder`).
    ///
    /// 1. On a tape: φ → q(ω, γ, z) → samples (noise ε fixed) → θ₀ = θ₀(θ, z), s = α⊙exp(γ).
    /// 2. `metaGradient` with θ₀ adapted, context (batch-norm offsets, ω), per-element s, gives
    ///    ḡ₀ = dL/dθ₀, the context gradient (its ω part is −Σₖ H_ωθ·uₖ, zero at first order)
    ///    and s̄ = dL/ds.
    /// 3. The chain rule back to θ, α, φ is the gradient of the linear surrogate
    ///        ⟨ḡ₀, θ₀(θ, z)⟩ + ⟨s̄, s(α, γ)⟩ + ⟨ω̄, ω⟩ + KL/(N+M)
    ///    on the same tape (ḡ₀, s̄, ω̄ held constant). Written out, this is
    ///        dL/dW = ḡ_W ⊙ (1 + z_w),  dL/dz_w[c] = Σ ḡ_W[…, c]·W[…, c],  dL/db = dL/dz_b = ḡ_b,
    ///        dL/dα = s̄ ⊙ exp(γ),  dL/dγ_l = Σ_{layer l} s̄ ⊙ s,
    ///    and (z̄, γ̄, ω̄) + ∇KL/(N+M) pass through μ + σ⊙ε into the encoder.
    ///
    /// - Parameters:
    ///   - stepSizes: α (from `initialStepSizes`), nil without α.
    ///   - encoderParameters: φ, nil without the encoder.
    ///   - noise: ε for one reparameterised sample; nil uses the posterior means (validation).
    /// - Precondition: `validate(task, parameters:)` passes.
    public func taskGradient(parameters: Parameters, stepSizes: Parameters?, encoderParameters: Parameters?,
                             task: FewShotTask, noise: BalancingNoise?) -> TAMLTaskGradient {
        let layout: BaseNetworkLayout
        do { layout = try self.layout(of: parameters) } catch { preconditionFailure(error.description) }
        precondition(options.alpha == (stepSizes != nil), "BayesianTAML: step sizes must be given exactly when α is on")
        precondition(options.usesEncoder == (encoderParameters != nil),
                     "BayesianTAML: encoder parameters must be given exactly when ω, γ or z is on")
        let tape = Tape()
        let theta = layout.adapted.map { tape.variable(Dual(parameters.tensors[$0])) }
        let alpha = stepSizes.map { $0.tensors.map { tape.variable(Dual($0)) } }
        let phi = encoderParameters.map { $0.tensors.map { tape.variable(Dual($0)) } }
        let start = balancedStart(layout: layout, theta: theta, alpha: alpha, encoderParameters: phi,
                                  task: task, noise: noise)

        // The inner loop and its adjoint.
        let queryOutputs = OutputRecorder()  // metaGradient evaluates the query loss once, at θ_K
        let (support, query) = losses(layout: layout, task: task, queryRecorder: queryOutputs)
        let batchNorm = layout.context.map { parameters.tensors[$0] }
        let result = metaGradient(
            at: start.initialisation.map(\.value), context: batchNorm + (start.omega.map { [$0.value] } ?? []),
            supportLoss: support, queryLoss: query,
            stepSizes: start.stepSizes.map { .perElement($0.map(\.value)) } ?? .uniform(innerLearningRate),
            innerSteps: innerSteps, firstOrder: firstOrder, replaysPrimals: replaysPrimals)

        // The chain rule into θ, α, φ: the gradient of the linear surrogate.
        let examples = task.supportTargets.count + task.queryTargets.count
        var terms: [Variable] = []
        for (position, index) in layout.adapted.enumerated() {
            let fixedHead = options.headStartsAtZero && [.headWeights, .headBias].contains(layout.roles[index])
            if !fixedHead { terms.append(inner(start.initialisation[position], result.gradient[position])) }
        }
        if let s = start.stepSizes { terms += zip(s, result.stepSizeGradient).map { inner($0, $1) } }
        if let omega = start.omega { terms.append(inner(omega, result.contextGradient[batchNorm.count])) }
        if let kl = start.kl { terms.append(kl.scaled(by: 1 / Float(examples))) }
        let leaves = theta + (alpha ?? []) + (phi ?? [])
        let all = tape.gradients(of: terms.summed(), at: leaves).map(\.value)

        var parameterGradient = parameters.tensors.map { Tensor(zeros: $0.shape) }
        for (position, index) in layout.adapted.enumerated() { parameterGradient[index] = all[position] }
        for (position, index) in layout.context.enumerated() { parameterGradient[index] = result.contextGradient[position] }
        var accuracyValue: Float = 0
        if case .classes(let labels, _) = task.queryTargets, let logits = queryOutputs.outputs {
            accuracyValue = accuracy(logits: logits, labels: labels)
        }
        let alphaCount = alpha?.count ?? 0
        return TAMLTaskGradient(
            queryLoss: result.queryLoss, klTerm: (start.kl?.value.scalar ?? 0) / Float(examples),
            queryAccuracy: accuracyValue, parameterGradient: parameterGradient,
            stepSizeGradient: alpha == nil ? nil : Array(all[theta.count..<(theta.count + alphaCount)]),
            encoderGradient: phi == nil ? nil : Array(all[(theta.count + alphaCount)...]),
            omega: start.omega?.value, gamma: start.gamma?.value, z: start.z?.value)
    }
}

/// ⟨x, c⟩ = Σ x ⊙ c with c a constant.
private func inner(_ x: Variable, _ c: Tensor) -> Variable {
    (x * x.constant(c.reshaped(to: x.shape))).sum()
}
