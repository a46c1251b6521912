// A tiny Conv4-style network (conv → batch norm → ReLU → max-pool, twice, then dense) with two
// inner steps: the second-order meta-gradient must match finite differences of the whole
// adapt-then-evaluate function F(θ) = L_query(θ − α∇L_s(…) − α∇L_s(…)).

import Autodiff
import Kernels
import MetaLearning
import Testing
import TestSupport

struct TinyConvTask {
    let way = 3
    let support: Tensor, supportLabels: [Int32]
    let query: Tensor, queryLabels: [Int32]
    let theta: [Tensor]
    let alpha: Float = 0.1

    init() {
        var generator = TestGenerator(seed: 7)
        support = Tensor.randomNormal(shape: [3, 8, 8, 1], using: &generator)
        supportLabels = [0, 1, 2]
        query = Tensor.randomNormal(shape: [6, 8, 8, 1], using: &generator)
        queryLabels = [0, 1, 2, 0, 1, 2]
        theta = [
            Tensor.randomNormal(shape: [3, 3, 1, 4], standardDeviation: 0.5, using: &generator),  // conv1 W
            Tensor.randomNormal(shape: [4], standardDeviation: 0.1, using: &generator),          // conv1 b
            Tensor.randomNormal(shape: [4], standardDeviation: 0.1, using: &generator),          // bn1 β
            Tensor.randomNormal(shape: [3, 3, 4, 4], standardDeviation: 0.5, using: &generator),  // conv2 W
            Tensor.randomNormal(shape: [4], standardDeviation: 0.1, using: &generator),          // conv2 b
            Tensor.randomNormal(shape: [4], standardDeviation: 0.1, using: &generator),          // bn2 β
            Tensor.randomNormal(shape: [16, 3], standardDeviation: 0.5, using: &generator),      // dense W
            Tensor.randomNormal(shape: [3], standardDeviation: 0.1, using: &generator),          // dense b
        ]
    }

    static func logits(_ p: [Variable], _ x: Variable) -> Variable {
        var h = x
        for block in 0..<2 {
            h = conv2D(h, weights: p[3 * block], bias: p[3 * block + 1], stride: 1, padding: .same)
            h = h.batchNormalized(offset: p[3 * block + 2]).relu().maxPool2x2()
        }
        return dense(h.reshaped(to: [h.shape[0], 16]), weights: p[6], bias: p[7])
    }

    static func loss(images: Tensor, labels: [Int32]) -> ScalarFunction {
        { p in logits(p, p[0].constant(images)).softmaxCrossEntropy(labels: labels).mean() }
    }

    var supportLoss: ScalarFunction { Self.loss(images: support, labels: supportLabels) }
    var queryLoss: ScalarFunction { Self.loss(images: query, labels: queryLabels) }

    /// F(θ): adapt with two plain gradient steps, then evaluate the query loss.
    func adaptThenEvaluate(_ p: [Tensor]) -> Double {
        var theta = p
        for _ in 0..<2 {
            let g = gradient(at: theta, in: supportLoss)
            theta = zip(theta, g).map { $0 - $1.scaled(by: alpha) }
        }
        return evaluate(queryLoss, at: theta)
    }
}

@Suite("Second-order meta-gradient of a tiny conv net")
struct TinyConvMetaGradientTests {
    let task = TinyConvTask()

    @Test("matches finite differences of adapt-then-evaluate along random directions", arguments: [11, 12, 13] as [UInt64])
    func matchesFiniteDifferences(seed: UInt64) {
        let result = metaGradient(at: task.theta, supportLoss: task.supportLoss, queryLoss: task.queryLoss,
                                  innerLearningRate: task.alpha, innerSteps: 2, firstOrder: false)
        var generator = TestGenerator(seed: seed)
        let v = task.theta.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        // F is only piecewise smooth: its inner gradients jump where a ReLU or a max-pool choice
        // flips, and a difference straddling such a point is meaningless. Small steps make that
        // rare, and the median of three steps discards a straddling one.
        let estimates = ([1e-4, 7e-5, 5e-5] as [Float]).map { h in
            (task.adaptThenEvaluate(perturb(task.theta, along: v, by: h))
                - task.adaptThenEvaluate(perturb(task.theta, along: v, by: -h))) / (2 * Double(h))
        }
        let numeric = estimates.sorted()[1]
        let analytic = innerProduct(result.gradient, v)
        #expect(isClose(analytic, numeric, relativeTolerance: 1e-2, absoluteTolerance: 1e-3),
                "meta-gradient · v = \(analytic), finite difference = \(numeric)")

        // First order ignores the Hessian terms, and here that measurably changes the answer.
        let first = metaGradient(at: task.theta, supportLoss: task.supportLoss, queryLoss: task.queryLoss,
                                 innerLearningRate: task.alpha, innerSteps: 2, firstOrder: true)
        let firstAnalytic = innerProduct(first.gradient, v)
        #expect(abs(firstAnalytic - numeric) > 10 * abs(analytic - numeric),
                "first order \(firstAnalytic) should be further from \(numeric) than second order \(analytic)")
    }
}
