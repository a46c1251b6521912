// The MAML meta-gradient as an explicit adjoint loop through the inner steps, with one
// Hessian-vector product per step (second order) or none (first order).
//
// adapt       θ₀ = θ;   θₖ₊₁ = θₖ − α ∇L_support(θₖ)              k = 0 … K−1
// meta-loss   L_query(θ_K)
// adjoint     ḡ_K = ∇L_query(θ_K)
//             ḡ_k = ḡₖ₊₁ − α · H_support(θₖ) · ḡₖ₊₁             (one hessianVectorProduct)
//             first order: ḡ_k = ḡₖ₊₁                             (the HVP is skipped)
// result      d L_query(θ_K(θ)) / dθ = ḡ₀
//
// Why this is exact: θₖ₊₁ depends on θₖ through the map θ ↦ θ − α∇L(θ), whose Jacobian is
// I − α·H(θₖ), symmetric. The chain rule multiplies ḡ by these Jacobians from the last step
// back to the first, and each product (I − αH)ḡ costs one forward-over-reverse pass.

import Autodiff

/// The result of one adapt-then-evaluate meta-gradient computation.
public struct MetaGradientResult {
    /// L_query(θ_K).
    public var queryLoss: Float
    /// d L_query(θ_K) / dθ (second order), or ∇L_query(θ_K) (first order).
    public var gradient: [Tensor]
    /// The adapted parameters θ_K.
    public var adapted: [Tensor]
}

/// θ − α·g for lists of tensors.
func step(_ theta: [Tensor], along direction: [Tensor], learningRate: Float) -> [Tensor] {
    zip(theta, direction).map { $0 - $1.scaled(by: learningRate) }
}

/// Runs K inner gradient steps on `supportLoss` from θ, evaluates `queryLoss` at θ_K and
/// returns its derivative with respect to θ.
///
/// - Parameters:
///   - theta: the meta-parameters θ (the initialization).
///   - supportLoss, queryLoss: scalar functions of the parameters, with the task's data inside.
///   - innerLearningRate: α.
///   - innerSteps: K ≥ 0.
///   - firstOrder: drop the Hessian terms (first-order MAML): ḡ₀ = ∇L_query(θ_K).
public func metaGradient(
    at theta: [Tensor], supportLoss: ScalarFunction, queryLoss: ScalarFunction,
    innerLearningRate: Float, innerSteps: Int, firstOrder: Bool
) -> MetaGradientResult {
    precondition(innerSteps >= 0, "metaGradient: innerSteps must be ≥ 0, got \(innerSteps)")
    // Adapt: keep the trajectory θ₀ … θ_K, needed by the adjoint pass.
    var trajectory = [theta]
    for k in 0..<innerSteps {
        let g = gradient(at: trajectory[k], in: supportLoss)
        trajectory.append(step(trajectory[k], along: g, learningRate: innerLearningRate))
    }
    // Meta-loss and its gradient at θ_K.
    let (loss, queryGradient) = valueWithGradient(at: trajectory[innerSteps], in: queryLoss)
    // Adjoint: ḡ_k = (I − αH(θₖ)) ḡₖ₊₁, from the last step back to the first.
    var adjoint = queryGradient
    if !firstOrder {
        for k in stride(from: innerSteps - 1, through: 0, by: -1) {
            let hv = hessianVectorProduct(at: trajectory[k], along: adjoint, in: supportLoss).hessianVector
            adjoint = step(adjoint, along: hv, learningRate: innerLearningRate)
        }
    }
    return MetaGradientResult(queryLoss: loss, gradient: adjoint, adapted: trajectory[innerSteps])
}
