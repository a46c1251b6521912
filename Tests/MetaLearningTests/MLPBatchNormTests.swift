// The sinusoid MLP with batch norm (cbfinn's `--norm batch_norm`): its offsets are meta-learned but
// not adapted, it takes the generic autodiff path, and its second-order meta-gradient matches
// finite differences of the whole adapt-then-evaluate function.

import Autodiff
import MetaLearning
import NN
import Testing
import TestSupport

@Suite("MLP with batch norm")
struct MLPBatchNormTests {
    let mlp = MLP(layerSizes: [1, 6, 5, 1], batchNorm: true)

    /// Wide random parameters (so ReLUs and offsets matter) and one sinusoid task.
    func fixture() -> (Parameters, FewShotTask) {
        var generator = TestGenerator(seed: 4)
        var parameters = mlp.initialParameters(using: &generator)
        parameters.tensors = parameters.tensors.map { Tensor.randomNormal(shape: $0.shape, standardDeviation: 0.7, using: &generator) }
        return (parameters, sinusoidTask(shots: 6, queries: 8, using: &generator))
    }

    @Test("offsets follow each hidden layer and stay fixed in the inner loop; the gradient reaches them")
    func offsetsAreContext() {
        let (parameters, task) = fixture()
        #expect(parameters.names == ["dense1/weights", "dense1/bias", "bn1/offset", "dense2/weights", "dense2/bias",
                                     "bn2/offset", "dense3/weights", "dense3/bias"])
        let learner = MetaLearner(model: mlp, method: .maml, innerSteps: 2, innerLearningRate: 0.05)
        let adapted = learner.adaptationTrajectory(parameters: parameters, stepSizes: nil, task: task, steps: 2)[2]
        for (index, name) in parameters.names.enumerated() {
            #expect((adapted.tensors[index] == parameters.tensors[index]) == name.hasPrefix("bn"), "\(name)")
        }
        let gradient = learner.taskGradient(parameters: parameters, stepSizes: nil, task: task).parameterGradient
        #expect(gradient[2].scalars.contains { abs($0) > 1e-4 } && gradient[5].scalars.contains { abs($0) > 1e-4 })
    }

    @Test("it takes the generic path: the hand-derived switch changes nothing")
    func genericPath() {
        let (parameters, task) = fixture()
        var learner = MetaLearner(model: mlp, method: .maml, innerSteps: 1, innerLearningRate: 0.05)
        let a = learner.taskGradient(parameters: parameters, stepSizes: nil, task: task).parameterGradient
        learner.usesHandDerivedMLP = false
        let b = learner.taskGradient(parameters: parameters, stepSizes: nil, task: task).parameterGradient
        #expect(a.map { $0.scalars.map(\.bitPattern) } == b.map { $0.scalars.map(\.bitPattern) })
    }

    @Test("the second-order meta-gradient matches finite differences of adapt-then-evaluate", arguments: [1, 2] as [UInt64])
    func matchesFiniteDifferences(seed: UInt64) {
        let (parameters, task) = fixture()
        let learner = MetaLearner(model: mlp, method: .maml, innerSteps: 2, innerLearningRate: 0.05)
        let analytic = learner.taskGradient(parameters: parameters, stepSizes: nil, task: task).parameterGradient
        guard case .values(let targets) = task.queryTargets else { return }
        /// F(θ, φ): two inner steps on the adapted tensors, then the query mean squared error (in Double).
        func adaptThenEvaluate(_ tensors: [Tensor]) -> Double {
            var point = parameters
            point.tensors = tensors
            let adapted = learner.adaptationTrajectory(parameters: point, stepSizes: nil, task: task, steps: 2)[2]
            let predictions = learner.predict(adapted, task.queryInputs).scalars
            return zip(predictions, targets.scalars).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
                / Double(targets.count)
        }
        var generator = TestGenerator(seed: seed)
        let v = parameters.tensors.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        // Small steps (batch norm over six points curves F sharply: at h = 10⁻² the estimate is off by
        // a factor of several), and the median of three, so one straddling a ReLU kink is discarded.
        let estimates = ([4e-4, 3e-4, 2e-4] as [Float]).map { h in
            (adaptThenEvaluate(perturb(parameters.tensors, along: v, by: h))
                - adaptThenEvaluate(perturb(parameters.tensors, along: v, by: -h))) / (2 * Double(h))
        }
        let numeric = estimates.sorted()[1]
        let value = innerProduct(analytic, v)
        #expect(isClose(value, numeric, relativeTolerance: 2e-2, absoluteTolerance: 1e-3),
                "meta-gradient · v = \(value), finite differences \(numeric) (\(estimates))")
        // First order is measurably further off, so this check tells the two apart.
        let first = MetaLearner(model: mlp, method: .fomaml, innerSteps: 2, innerLearningRate: 0.05)
            .taskGradient(parameters: parameters, stepSizes: nil, task: task).parameterGradient
        #expect(abs(innerProduct(first, v) - numeric) > 5 * abs(value - numeric))
    }
}
