// The MAML meta-gradient as an explicit adjoint loop through the inner steps, with one
// Hessian-vector product per step (second order) or none (first order).
//
// adapt       θ₀ = θ;   θₖ₊₁ = θₖ − s ⊙ ∇_θ L_support(θₖ, φ)          k = 0 … K−1
// meta-loss   L_query(θ_K, φ)
// adjoint     ḡ_K = ∇_θ L_query(θ_K, φ)         φ̄ = ∇_φ L_query(θ_K, φ)
//             for k = K−1 … 0, with u = s ⊙ ḡₖ₊₁ and one forward-over-reverse pass along (u, 0):
//               ḡ_k = ḡₖ₊₁ − H_θθ(θₖ) · u       (the Hessian-vector product)
//               φ̄  −= H_φθ(θₖ) · u             (mixed term, same pass: φ was not perturbed)
//               s̄  −= ∇_θ L_support(θₖ) ⊙ ḡₖ₊₁  (first-order quantity)
//             first order: skip the pass, so ḡ_k = ḡₖ₊₁ and φ̄ keeps only its direct term
// result      dL/dθ = ḡ₀,  dL/dφ = φ̄,  dL/ds = s̄
//
// θ are the adapted parameters, φ the meta-learned inputs of the losses that the inner loop does
// not change (batch-norm offsets in MAML's reference setting, class weights ω in Bayesian TAML),
// s the step sizes: α for MAML, the learned α of Meta-SGD, α·exp(γ) in Bayesian TAML.
//
// Why this is exact: θₖ₊₁ depends on θₖ through θ ↦ θ − s⊙∇L(θ), whose Jacobian I − diag(s)·H
// has transpose I − H·diag(s). The chain rule multiplies ḡ by these transposes from the last step
// back to the first, and each product costs one forward-over-reverse pass.

import Autodiff

/// Inner-loop step sizes: one α for every parameter (MAML), or one per element (Meta-SGD).
public enum StepSizes {
    case uniform(Float)
    case perElement([Tensor])

    /// s ⊙ x for the i-th adapted tensor.
    func apply(_ index: Int, to x: Tensor) -> Tensor {
        switch self {
        case .uniform(let alpha): return x.scaled(by: alpha)
        case .perElement(let rates): return rates[index] * x
        }
    }
}

/// The result of one adapt-then-evaluate meta-gradient computation.
public struct MetaGradientResult {
    /// L_query(θ_K, φ).
    public var queryLoss: Float
    /// dL_query/dθ₀ (second order), or ∇_θ L_query(θ_K) (first order).
    public var gradient: [Tensor]
    /// dL_query/dφ for the non-adapted inputs.
    public var contextGradient: [Tensor]
    /// dL_query/ds per element, for learned step sizes (shapes of θ); always first-order exact.
    public var stepSizeGradient: [Tensor]
    /// The adapted parameters θ_K.
    public var adapted: [Tensor]
}

/// Runs K inner steps from θ on `supportLoss`, evaluates `queryLoss` at θ_K and returns the
/// derivatives of that query loss with respect to θ, φ and the step sizes.
///
/// - Parameters:
///   - theta: the initialization θ₀ (adapted by the inner loop).
///   - context: φ, meta-learned inputs of both losses that are not adapted (may be empty).
///   - supportLoss, queryLoss: scalar functions of `theta + context` (θ first, then φ).
///   - stepSizes: s, uniform or per element.
///   - innerSteps: K ≥ 0.
///   - firstOrder: drop the Hessian terms (first-order MAML).
///   - replaysPrimals: second order only: keep the primal values of each inner-loop gradient and
///     let the HVP at the same θₖ take them instead of recomputing them (`PrimalRecord`). Same
///     bits, less work, more memory: K passes' values are held until the adjoint loop uses them.
public func metaGradient(
    at theta: [Tensor], context: [Tensor] = [], supportLoss: ScalarFunction, queryLoss: ScalarFunction,
    stepSizes: StepSizes, innerSteps: Int, firstOrder: Bool, replaysPrimals: Bool = true
) -> MetaGradientResult {
    precondition(innerSteps >= 0, "metaGradient: innerSteps must be ≥ 0, got \(innerSteps)")
    let n = theta.count
    // Adapt, keeping θ₀ … θ_K, the support gradients and (second order) the passes' primal values.
    var trajectory = [theta]
    var supportGradients: [[Tensor]] = []
    let records = (0..<innerSteps).map { _ in PrimalRecord() }
    for k in 0..<innerSteps {
        let point = trajectory[k] + context
        let full = firstOrder || !replaysPrimals
            ? gradient(at: point, in: supportLoss)
            : records[k].recording { gradient(at: point, in: supportLoss) }
        let g = Array(full.prefix(n))
        supportGradients.append(g)
        trajectory.append((0..<n).map { trajectory[k][$0] - stepSizes.apply($0, to: g[$0]) })
    }
    // Meta-loss at θ_K and its direct gradients.
    let (loss, queryGradient) = valueWithGradient(at: trajectory[innerSteps] + context, in: queryLoss)
    var adjoint = Array(queryGradient.prefix(n))
    var contextAdjoint = Array(queryGradient.suffix(from: n))
    var stepSizeAdjoint = theta.map { Tensor(zeros: $0.shape) }
    // Adjoint pass, last step first.
    for k in stride(from: innerSteps - 1, through: 0, by: -1) {
        for i in 0..<n { stepSizeAdjoint[i] = stepSizeAdjoint[i] - supportGradients[k][i] * adjoint[i] }
        if firstOrder { continue }
        let u: [Tensor?] = (0..<n).map { stepSizes.apply($0, to: adjoint[$0]) }
        let notPerturbed = [Tensor?](repeating: nil, count: context.count)
        let hv = records[k].replaying {
            hessianVectorProduct(at: trajectory[k] + context, along: u + notPerturbed, in: supportLoss)
        }.hessianVector
        // A loss whose ops depend on whether tangents exist breaks replay's contract: the result is
        // still exact (the HVP computes what it could not replay), only slower. Debug builds say so.
        assert(!records[k].hasDiverged, "metaGradient: the HVP at step \(k) did not follow its gradient pass")
        for i in 0..<n { adjoint[i] = adjoint[i] - hv[i] }
        for j in 0..<context.count { contextAdjoint[j] = contextAdjoint[j] - hv[n + j] }
    }
    return MetaGradientResult(queryLoss: loss, gradient: adjoint, contextGradient: contextAdjoint,
                              stepSizeGradient: stepSizeAdjoint, adapted: trajectory[innerSteps])
}

/// MAML with one learning rate α and no context: the form used in the paper's Algorithm 2.
public func metaGradient(
    at theta: [Tensor], supportLoss: ScalarFunction, queryLoss: ScalarFunction,
    innerLearningRate: Float, innerSteps: Int, firstOrder: Bool
) -> MetaGradientResult {
    metaGradient(at: theta, supportLoss: supportLoss, queryLoss: queryLoss,
                 stepSizes: .uniform(innerLearningRate), innerSteps: innerSteps, firstOrder: firstOrder)
}
