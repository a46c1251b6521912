// Mixed second derivatives from one forward-over-reverse pass: perturb θ only (direction v) and
// read ∂/∂ω ⟨∇_θ L, v⟩ and ∂/∂β ⟨∇_θ L, v⟩ off the gradients of the unperturbed inputs.
// This is what Bayesian TAML needs for its class weights ω and what MAML needs for batch-norm
// offsets that are meta-learned but not adapted.

import Autodiff
import Testing
import TestSupport

@Suite("Mixed second derivatives")
struct MixedSecondDerivativeTests {
    /// L(θ, ω, β) = Σ_c softmax(ω)_c · (sum of class-c losses) of a dense layer over batch-normed inputs.
    static let loss: @Sendable ([Variable]) -> Variable = { p in
        let (weights, omega, offset) = (p[0], p[1], p[2])
        var generator = TestGenerator(seed: 3)
        let x = p[0].constant(Tensor.randomNormal(shape: [6, 4], using: &generator))
        let labels: [Int32] = [0, 0, 1, 1, 2, 2]
        let losses = dense(x.batchNormalized(offset: offset), weights: weights, bias: nil)
            .softmaxCrossEntropy(labels: labels)                       // [6]
        let classWeights = omega.reshaped(to: [1, 3]).logSoftmaxRows().exp().reshaped(to: [3])
        let perClass = matmul(losses.reshaped(to: [1, 6]),
                              p[0].constant(Tensor(shape: [6, 3], scalars: [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1])))
        return (perClass.reshaped(to: [3]) * classWeights).sum()
    }

    @Test("H_ωθ·v and H_βθ·v match finite differences of ∇_ω L and ∇_β L along θ")
    func mixedTermsMatch() {
        var generator = TestGenerator(seed: 21)
        let theta = Tensor.randomNormal(shape: [4, 3], using: &generator)
        let omega = Tensor.randomNormal(shape: [3], using: &generator)
        let offset = Tensor.randomNormal(shape: [4], using: &generator)
        let v = Tensor.randomNormal(shape: [4, 3], using: &generator)
        let direction: [Tensor?] = [v, nil, nil]
        let analytic = hessianVectorProduct(at: [theta, omega, offset], along: direction, in: Self.loss).hessianVector
        let numeric = numericalHessianVectorProduct(of: Self.loss, at: [theta, omega, offset], along: direction)
        for (a, n) in zip(analytic, numeric) {
            #expect(relativeError(a, n) < 5e-3, "\(a.scalars) vs \(n)")
        }
        #expect(analytic[1].scalars.map(abs).max()! > 1e-3, "ω must be coupled to θ in this loss")
        #expect(analytic[2].scalars.map(abs).max()! > 1e-3, "β must be coupled to θ in this loss")
    }
}
