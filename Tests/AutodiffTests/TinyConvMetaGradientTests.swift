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

    /// conv → BN → ReLU → max-pool (twice) → dense; `smooth` swaps ReLU for softplus and the
    /// max-pool for a stride-2 convolution, for checks that need no kinks.
    static func logits(_ p: [Variable], _ x: Variable, smooth: Bool = false) -> Variable {
        var h = x
        for block in 0..<2 {
            h = conv2D(h, weights: p[3 * block], bias: p[3 * block + 1], stride: smooth ? 2 : 1, padding: .same)
            h = h.batchNormalized(offset: p[3 * block + 2])
            h = smooth ? h.softplus() : h.relu().maxPool2x2()
        }
        return dense(h.reshaped(to: [h.shape[0], 16]), weights: p[6], bias: p[7])
    }

    static func loss(images: Tensor, labels: [Int32], smooth: Bool = false) -> ScalarFunction {
        { p in logits(p, p[0].constant(images), smooth: smooth).softmaxCrossEntropy(labels: labels).mean() }
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

    @Test("with batch-norm offsets as non-adapted context and per-element step sizes (Meta-SGD)")
    func contextAndStepSizes() {
        // θ = convs and dense layer (adapted), φ = the two batch-norm offsets (not adapted), s = α.
        let adaptedIndices = [0, 1, 3, 4, 6, 7], contextIndices = [2, 5]
        let order = adaptedIndices + contextIndices   // losses take θ first, then φ
        func reorder(_ f: @escaping ScalarFunction) -> ScalarFunction {
            { p in
                var original = p
                for (position, index) in order.enumerated() { original[index] = p[position] }
                return f(original)
            }
        }
        // The smooth variant: this checks the algebra of φ and s, and kinks would only blur it.
        let support = reorder(TinyConvTask.loss(images: task.support, labels: task.supportLabels, smooth: true))
        let query = reorder(TinyConvTask.loss(images: task.query, labels: task.queryLabels, smooth: true))
        let theta = adaptedIndices.map { task.theta[$0] }, phi = contextIndices.map { task.theta[$0] }
        var generator = TestGenerator(seed: 5)
        let rates = theta.map { Tensor.randomUniform(shape: $0.shape, in: 0.02...0.2, using: &generator) }
        let result = metaGradient(at: theta, context: phi, supportLoss: support, queryLoss: query,
                                  stepSizes: .perElement(rates), innerSteps: 2, firstOrder: false)

        func adaptThenEvaluate(_ x: [Tensor]) -> Double {
            var t = Array(x[0..<6])
            let context = Array(x[6..<8]), s = Array(x[8...])
            for _ in 0..<2 {
                let g = gradient(at: t + context, in: support)
                t = (0..<6).map { t[$0] - s[$0] * g[$0] }
            }
            return evaluate(query, at: t + context)
        }
        let point = theta + phi + rates
        let v = point.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        let central = { (h: Float) in
            (adaptThenEvaluate(perturb(point, along: v, by: h)) - adaptThenEvaluate(perturb(point, along: v, by: -h)))
                / (2 * Double(h))
        }
        let numeric = (4 * central(5e-3) - central(1e-2)) / 3   // Richardson
        let analytic = innerProduct(result.gradient + result.contextGradient + result.stepSizeGradient, v)
        #expect(isClose(analytic, numeric, relativeTolerance: 2e-3, absoluteTolerance: 1e-4),
                "analytic \(analytic), finite differences \(numeric)")
        // Each part must matter, or this check would not test it.
        for part in [result.contextGradient, result.stepSizeGradient] {
            #expect(part.contains { $0.scalars.contains { abs($0) > 1e-4 } })
        }
    }
}
