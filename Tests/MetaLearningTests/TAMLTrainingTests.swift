// Bayesian TAML training: exact resume from the checkpoint file (θ, α, encoder φ, Adam state,
// task stream), encoder parameters that do train, and posterior-mean validation.

import Autodiff
import Foundation
import MetaLearning
import NN
import Testing
import TestSupport

/// Imbalanced 3-way 8×8 tasks (`imbalancedImageTask`) from a seeded stream.
struct TAMLTestTaskSource: TaskSource {
    var randomState: UInt64

    mutating func nextMetaBatch(_ count: Int) -> [FewShotTask] {
        var generator = TestGenerator(seed: randomState)
        let tasks = (0..<count).map { _ in imbalancedImageTask(seed: generator.next()) }
        randomState = generator.next()
        return tasks
    }
}

/// A Bayesian TAML loop on the tiny net, writing into `directory`.
func makeTAMLLoop(iterations: Int, directory: URL?) throws -> TrainingLoop<TAMLTrainer<SmoothTinyNet>, TAMLTestTaskSource> {
    let taml = BayesianTAML(model: SmoothTinyNet(), encoder: tinyEncoder(layers: 2, filters: 2), options: .bayesianTAML,
                            innerSteps: 2, innerLearningRate: 0.1)
    var generator = TestGenerator(seed: 9)
    let trainer = try TAMLTrainer(learner: taml, parameters: taml.model.initialParameters(using: &generator),
                                  using: &generator, metaLearningRate: 0.01, taskStreamState: 31)
    let schedule = TrainingSchedule(iterations: iterations, metaBatchSize: 2, logInterval: 1, validationInterval: 0,
                                    checkpointInterval: 1)
    return TrainingLoop(trainer: trainer, source: TAMLTestTaskSource(randomState: 0), schedule: schedule,
                        runDirectory: directory.map { RunDirectory(url: $0) }, metadata: ["method": "taml"])
}

/// Every stored bit of a state, encoder and Adam moments included.
func allBits(_ state: TrainingState) -> [UInt32] {
    let tensors = state.parameters.tensors + (state.stepSizes?.tensors ?? []) + (state.encoderParameters?.tensors ?? [])
        + state.optimizer.firstMoments + state.optimizer.secondMoments
    return tensors.flatMap { $0.scalars.map(\.bitPattern) }
}

@Suite("Bayesian TAML training", .serialized)
struct TAMLTrainingTests {
    @Test("4 iterations straight equal 2 + resume from the checkpoint file + 2, bit for bit")
    func resumeIsBitIdentical() throws {
        let straightDirectory = temporaryDirectory(), resumedDirectory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: straightDirectory); try? FileManager.default.removeItem(at: resumedDirectory) }
        var straight = try makeTAMLLoop(iterations: 4, directory: straightDirectory)
        try straight.run()
        var first = try makeTAMLLoop(iterations: 2, directory: resumedDirectory)
        try first.run()
        let saved = try Checkpoint(contentsOf: RunDirectory(url: resumedDirectory).checkpointURL)
        #expect(saved.state == first.trainer.state)
        #expect(saved.state.encoderParameters?.names.first == "encoder/conv1/weights")
        var second = try makeTAMLLoop(iterations: 4, directory: resumedDirectory)
        second.trainer = TAMLTrainer(learner: second.trainer.learner, state: saved.state)
        try second.run()
        let (a, b) = (straight.trainer.state, second.trainer.state)
        #expect(a.iteration == 4 && b.iteration == 4)
        #expect(allBits(a) == allBits(b))
        #expect(a.taskStreamState == b.taskStreamState && a.optimizer.step == b.optimizer.step)
        #expect(a.optimizer.firstMoments.count == a.parameters.count + a.stepSizes!.count + a.encoderParameters!.count)
    }

    @Test("θ, α and the encoder move; the zero head stays zero-gradient and unchanged")
    func everythingTrains() throws {
        var loop = try makeTAMLLoop(iterations: 2, directory: nil)
        let before = loop.trainer.state
        try loop.run()
        let after = loop.trainer.state
        func changed(_ x: [Tensor], _ y: [Tensor]) -> Bool { zip(x, y).contains { $0.scalars != $1.scalars } }
        #expect(changed(before.encoderParameters!.tensors, after.encoderParameters!.tensors))
        #expect(changed(before.stepSizes!.tensors, after.stepSizes!.tensors))
        #expect(before.parameters["conv1/weights"].scalars != after.parameters["conv1/weights"].scalars)
        #expect(before.parameters["bn1/offset"].scalars != after.parameters["bn1/offset"].scalars)
        #expect(before.parameters["dense/weights"] == after.parameters["dense/weights"])
        #expect(after.optimizer.clipValue == 3)
    }

    @Test("the training log carries the KL term: the window mean of each iteration's KL/(N+M)")
    func logCarriesKL() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var loop = try makeTAMLLoop(iterations: 2, directory: directory)
        var metrics: [IterationMetrics] = []
        try loop.run { event in if case .iteration(let m) = event { metrics.append(m) } }
        let train = RunDirectory(url: directory).readLog().filter { $0.event == "train" }
        #expect(train.count == 2 && metrics.count == 2)
        for (record, iteration) in zip(train, metrics) {
            let kl = try #require(iteration.klTerm)
            #expect(kl > 0 && kl.isFinite)
            #expect(record.kl == Double(kl))
            #expect(record.loss == Double(iteration.queryLoss))
        }
    }

    @Test("validation with posterior means is deterministic; MC test samples change the probabilities")
    func evaluation() throws {
        let loop = try makeTAMLLoop(iterations: 0, directory: nil)
        let (taml, state) = (loop.trainer.learner, loop.trainer.state)
        func run(_ samples: Int, seed: UInt64) -> EvaluationResult {
            taml.evaluate(parameters: state.parameters, stepSizes: state.stepSizes,
                          encoderParameters: state.encoderParameters, taskCount: 3, steps: 2, samples: samples,
                          seed: seed) { imbalancedImageTask(seed: 70 + UInt64($0)) }
        }
        let means = run(0, seed: 1)
        #expect(means == run(0, seed: 2))
        #expect(means.episodes == 3 && means.final.steps == 2)
        let sampled = run(4, seed: 1)
        #expect(sampled == run(4, seed: 1))
        #expect(sampled.final.loss.mean != means.final.loss.mean)
        #expect(means.final.loss.mean.isFinite && means.final.loss.mean > 0)
    }
}
