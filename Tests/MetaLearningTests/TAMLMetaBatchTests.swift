// Bayesian TAML meta-batch: bit-identical at 1 and 2 threads, and the mean of the task gradients.

import Autodiff
import Kernels
import MetaLearning
import NN
import Testing
import TestSupport

@Suite("Bayesian TAML meta-batch", .serialized)
struct TAMLMetaBatchTests {
    func bits(_ tensors: [Tensor]) -> [UInt32] { tensors.flatMap { $0.scalars.map(\.bitPattern) } }

    /// A tiny model, its θ, α, φ, four tasks and one noise vector per task.
    func setUp() throws -> (BayesianTAML<SmoothTinyNet>, Parameters, Parameters, Parameters, [FewShotTask], [BalancingNoise]) {
        var generator = TestGenerator(seed: 5)
        let model = SmoothTinyNet()
        let taml = BayesianTAML(model: model, encoder: tinyEncoder(layers: 2, filters: 2), options: .bayesianTAML,
                                innerSteps: 2, innerLearningRate: 0.1)
        let parameters = model.initialParameters(using: &generator)
        let alpha = try #require(try taml.initialStepSizes(for: parameters))
        let phi = largeEncoderParameters(taml.encoder, seed: 3)
        let tasks = (0..<4).map { imbalancedImageTask(seed: 40 + UInt64($0)) }
        let noise = tasks.map { _ in BalancingNoise.draw(way: 3, encoder: taml.encoder, using: &generator) }
        return (taml, parameters, alpha, phi, tasks, noise)
    }

    @Test("the meta-batch gradient is bit-identical at 1 and 2 threads")
    func threadCountIndependent() throws {
        let (taml, parameters, alpha, phi, tasks, noise) = try setUp()
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        let runs = [1, 2].map { threads in
            Parallelism.threads = threads
            return taml.metaBatchGradient(parameters: parameters, stepSizes: alpha, encoderParameters: phi,
                                          tasks: tasks, noise: noise)
        }
        #expect(runs[0].loss.bitPattern == runs[1].loss.bitPattern)
        #expect(runs[0].queryAccuracy == runs[1].queryAccuracy)
        #expect(bits(runs[0].parameterGradient) == bits(runs[1].parameterGradient))
        #expect(bits(try #require(runs[0].stepSizeGradient)) == bits(try #require(runs[1].stepSizeGradient)))
        #expect(bits(try #require(runs[0].encoderGradient)) == bits(try #require(runs[1].encoderGradient)))
    }

    @Test("reusing the inner loop's primal values in the HVPs changes no bit")
    func primalReplaySameBits() throws {
        let (taml, parameters, alpha, phi, tasks, noise) = try setUp()
        let runs = [true, false].map { replays in
            var learner = taml
            learner.replaysPrimals = replays
            return learner.metaBatchGradient(parameters: parameters, stepSizes: alpha, encoderParameters: phi,
                                             tasks: tasks, noise: noise)
        }
        #expect(runs[0].loss.bitPattern == runs[1].loss.bitPattern)
        #expect(bits(runs[0].parameterGradient) == bits(runs[1].parameterGradient))
        #expect(bits(try #require(runs[0].stepSizeGradient)) == bits(try #require(runs[1].stepSizeGradient)))
        #expect(bits(try #require(runs[0].encoderGradient)) == bits(try #require(runs[1].encoderGradient)))
    }

    @Test("the meta-batch averages the task losses, KL terms and gradients in task order")
    func averagesTasks() throws {
        let (taml, parameters, alpha, phi, tasks, noise) = try setUp()
        let batch = taml.metaBatchGradient(parameters: parameters, stepSizes: alpha, encoderParameters: phi,
                                           tasks: tasks, noise: noise)
        let single = tasks.indices.map {
            taml.taskGradient(parameters: parameters, stepSizes: alpha, encoderParameters: phi, task: tasks[$0],
                              noise: noise[$0])
        }
        let quarter: Float = 0.25
        #expect(batch.queryLoss == single.reduce(0) { $0 + $1.queryLoss } * quarter)
        #expect(batch.klTerm == single.reduce(0) { $0 + $1.klTerm } * quarter)
        #expect(batch.klTerm > 0)
        var encoderSum = single[0].encoderGradient!
        for task in single.dropFirst() { encoderSum = zip(encoderSum, task.encoderGradient!).map { $0 + $1 } }
        #expect(bits(try #require(batch.encoderGradient)) == bits(encoderSum.map { $0.scaled(by: quarter) }))
        #expect(batch.parameterGradient.count == parameters.count)
    }
}
