// The MAML meta-gradient on a problem a student can redo by hand.
//
// L_s(θ) = ½θᵀAθ − bᵀθ,  L_q(θ) = ½‖θ − c‖²,  one inner step θ′ = θ − α∇L_s(θ) = θ − α(Aθ − b).
// dL_q(θ′)/dθ = (∂θ′/∂θ)ᵀ ∇L_q(θ′) = (I − αA)(θ′ − c)     (A symmetric)
// first-order MAML drops ∂θ′/∂θ − I:      ∇L_q(θ′) = θ′ − c

import Autodiff
import MetaLearning
import Testing
import TestSupport

struct Quadratic {
    let n = 4
    let a: Tensor, b: Tensor, c: Tensor, theta: Tensor
    let alpha: Float = 0.1

    init() {
        var generator = TestGenerator(seed: 42)
        let m = Tensor.randomNormal(shape: [n, n], using: &generator)
        // A = MᵀM + I: symmetric positive definite.
        var spd = matmul(m, m, transposeA: true)
        for i in 0..<n { spd.scalars[i * n + i] += 1 }
        a = spd
        b = Tensor.randomNormal(shape: [n, 1], using: &generator)
        c = Tensor.randomNormal(shape: [n, 1], using: &generator)
        theta = Tensor.randomNormal(shape: [n, 1], using: &generator)
    }

    var supportLoss: ScalarFunction {
        { [a, b] p in
            let theta = p[0]
            let quadratic = (theta * matmul(theta.constant(a), theta)).sum().scaled(by: 0.5)
            return quadratic - (theta * theta.constant(b)).sum()
        }
    }
    var queryLoss: ScalarFunction {
        { [c] p in (p[0] - p[0].constant(c)).squared().sum().scaled(by: 0.5) }
    }

    /// (I − αA)·x, computed directly with plain tensors.
    func applyStepJacobian(_ x: Tensor) -> Tensor { x - matmul(a, x).scaled(by: alpha) }
    /// θ − α(Aθ − b).
    func innerStep(_ t: Tensor) -> Tensor { t - (matmul(a, t) - b).scaled(by: alpha) }
}

@Suite("MAML on an analytic quadratic")
struct MAMLQuadraticTests {
    let problem = Quadratic()

    @Test("second order: (I − αA)(θ′ − c)")
    func secondOrderOneStep() {
        let result = metaGradient(at: [problem.theta], supportLoss: problem.supportLoss, queryLoss: problem.queryLoss,
                                  innerLearningRate: problem.alpha, innerSteps: 1, firstOrder: false)
        let adapted = problem.innerStep(problem.theta)
        let expected = problem.applyStepJacobian(adapted - problem.c)
        #expect(relativeError(result.gradient[0], expected) < 1e-5)
        #expect(relativeError(result.adapted[0], adapted) < 1e-6)
    }

    @Test("first order: θ′ − c, and it differs from second order by −αA(θ′ − c)")
    func firstOrderOneStep() {
        let first = metaGradient(at: [problem.theta], supportLoss: problem.supportLoss, queryLoss: problem.queryLoss,
                                 innerLearningRate: problem.alpha, innerSteps: 1, firstOrder: true)
        let second = metaGradient(at: [problem.theta], supportLoss: problem.supportLoss, queryLoss: problem.queryLoss,
                                  innerLearningRate: problem.alpha, innerSteps: 1, firstOrder: false)
        let residual = problem.innerStep(problem.theta) - problem.c
        #expect(relativeError(first.gradient[0], residual) < 1e-6)
        let difference = second.gradient[0] - first.gradient[0]
        let expectedDifference = matmul(problem.a, residual).scaled(by: -problem.alpha)
        #expect(relativeError(difference, expectedDifference) < 1e-4)
        #expect(difference.scalars.map(abs).max()! > 1e-3, "the two orders must differ on this problem")
    }

    @Test("two steps: (I − αA)²(θ₂ − c)")
    func secondOrderTwoSteps() {
        let result = metaGradient(at: [problem.theta], supportLoss: problem.supportLoss, queryLoss: problem.queryLoss,
                                  innerLearningRate: problem.alpha, innerSteps: 2, firstOrder: false)
        let theta2 = problem.innerStep(problem.innerStep(problem.theta))
        let expected = problem.applyStepJacobian(problem.applyStepJacobian(theta2 - problem.c))
        #expect(relativeError(result.gradient[0], expected) < 1e-5)
    }

    @Test("zero steps: the meta-gradient is the query gradient at θ")
    func zeroSteps() {
        let result = metaGradient(at: [problem.theta], supportLoss: problem.supportLoss, queryLoss: problem.queryLoss,
                                  innerLearningRate: problem.alpha, innerSteps: 0, firstOrder: false)
        #expect(relativeError(result.gradient[0], problem.theta - problem.c) < 1e-6)
    }
}
