// MetaLearner.replaysPrimals: MAML and Meta-SGD on a conv net with batch norm give the same bits
// with and without reusing the inner loop's primal values in the Hessian-vector products.

import Autodiff
import MetaLearning
import NN
import Testing
import TestSupport

@Suite("Primal replay in MetaLearner")
struct PrimalReplayLearnerTests {
    @Test("second-order task gradients are bit-identical with and without replay", arguments: [MetaMethod.maml, .metasgd])
    func sameBits(method: MetaMethod) {
        var generator = TestGenerator(seed: 21)
        let task = imageTask(shots: 3, queries: 4, using: &generator)
        let parameters = initialParameters(tinyConvNet, seed: 22)
        let runs = [true, false].map { replays in
            var learner = MetaLearner(model: tinyConvNet, method: method, innerSteps: 3, innerLearningRate: 0.1)
            learner.replaysPrimals = replays
            let stepSizes = learner.initialStepSizes(for: parameters)
            return learner.taskGradient(parameters: parameters, stepSizes: stepSizes, task: task)
        }
        let bits = { (tensors: [Tensor]) in tensors.flatMap { $0.scalars.map(\.bitPattern) } }
        #expect(runs[0].queryLoss.bitPattern == runs[1].queryLoss.bitPattern)
        #expect(bits(runs[0].parameterGradient) == bits(runs[1].parameterGradient))
        #expect(bits(runs[0].stepSizeGradient ?? []) == bits(runs[1].stepSizeGradient ?? []))
        #expect(method != .metasgd || runs[0].stepSizeGradient != nil)
    }
}
