// The training loop: resuming from a checkpoint is bit-identical to never stopping, the thread
// count does not change a single bit, and a NaN keeps the last good checkpoint on disk.

import Autodiff
import Foundation
import Kernels
import MetaLearning
import NN
import Testing
import TestSupport

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("metalearn-tests-" + UUID().uuidString)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A loop over `model` and `kind` tasks, writing into `directory`.
func makeLoop<Model: FewShotModel>(_ model: Model, method: MetaMethod, kind: TestTaskSource.Kind, iterations: Int,
                                   directory: URL?) -> TrainingLoop<MetaTrainer<Model>, TestTaskSource> {
    let learner = MetaLearner(model: model, method: method, innerSteps: 2, innerLearningRate: kind == .image ? 0.1 : 0.01,
                              reduction: kind == .image ? .sumOverShots : .mean)
    let trainer = MetaTrainer(learner: learner, parameters: initialParameters(model, seed: 21), metaLearningRate: 0.01,
                              clipValue: 10, taskStreamState: 77)
    // The source's own state is irrelevant: the trainer's saved task-stream state is what counts.
    let source = TestTaskSource(kind: kind, randomState: 12345, shots: 2, queries: 2)
    let schedule = TrainingSchedule(iterations: iterations, metaBatchSize: 3, logInterval: 1, validationInterval: 0,
                                    checkpointInterval: 1)
    return TrainingLoop(trainer: trainer, source: source, schedule: schedule,
                        runDirectory: directory.map { RunDirectory(url: $0) }, metadata: ["model": "test"])
}

@Suite("Training loop", .serialized)
struct TrainingLoopTests {
    @Test("6 iterations straight equal 3 + resume from the checkpoint file + 3, bit for bit",
          arguments: [(MetaMethod.metasgd, TestTaskSource.Kind.sinusoid), (.maml, .image)])
    func resumeIsBitIdentical(method: MetaMethod, kind: TestTaskSource.Kind) throws {
        let straightDirectory = temporaryDirectory(), resumedDirectory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: straightDirectory); try? FileManager.default.removeItem(at: resumedDirectory) }
        func run<Model: FewShotModel>(_ model: Model) throws -> (TrainingState, TrainingState) {
            var straight = makeLoop(model, method: method, kind: kind, iterations: 6, directory: straightDirectory)
            try straight.run()
            var first = makeLoop(model, method: method, kind: kind, iterations: 3, directory: resumedDirectory)
            try first.run()
            // A new process would start here: everything comes from the file.
            let saved = try Checkpoint(contentsOf: RunDirectory(url: resumedDirectory).checkpointURL)
            #expect(saved.state.iteration == 3 && saved.metadata == ["model": "test"])
            var second = makeLoop(model, method: method, kind: kind, iterations: 6, directory: resumedDirectory)
            second.trainer = MetaTrainer(learner: second.trainer.learner, state: saved.state)
            try second.run()
            return (straight.trainer.state, second.trainer.state)
        }
        let (straight, resumed) = kind == .image ? try run(tinyConvNet) : try run(MLP(layerSizes: [1, 8, 8, 1]))
        #expect(straight.iteration == 6 && resumed.iteration == 6)
        #expect(bits(straight) == bits(resumed))
        #expect(straight.taskStreamState == resumed.taskStreamState)
        #expect(straight.optimizer.step == resumed.optimizer.step)
        let log = RunDirectory(url: resumedDirectory).readLog()
        #expect(log.map(\.iteration) == Array(1...6))
        // The logged training time goes on from the first run's last line instead of starting again.
        let seconds = log.map(\.seconds)
        #expect(seconds[2] > 0 && zip(seconds, seconds.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("1 and 2 threads give bit-identical parameters", arguments: [TestTaskSource.Kind.sinusoid, .image])
    func threadCountDoesNotMatter(kind: TestTaskSource.Kind) throws {
        let saved = Parallelism.threads
        defer { Parallelism.threads = saved }
        func train(threads: Int) throws -> TrainingState {
            Parallelism.threads = threads
            if kind == .image {
                var loop = makeLoop(tinyConvNet, method: .maml, kind: kind, iterations: 3, directory: nil)
                try loop.run()
                return loop.trainer.state
            }
            var loop = makeLoop(MLP(), method: .metasgd, kind: kind, iterations: 3, directory: nil)
            try loop.run()
            return loop.trainer.state
        }
        let one = try train(threads: 1), two = try train(threads: 2)
        #expect(one.iteration == 3)
        #expect(bits(one) == bits(two))
    }

    @Test("a NaN stops the loop and keeps the last good checkpoint")
    func nanKeepsLastCheckpoint() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var loop = makeLoop(MLP(layerSizes: [1, 8, 1]), method: .maml, kind: .sinusoid, iterations: 2, directory: directory)
        try loop.run()
        let run = RunDirectory(url: directory)
        let good = try Data(contentsOf: run.checkpointURL)
        loop.schedule.iterations = 5
        loop.trainer.learner.innerLearningRate = 1e30  // the next inner step overflows
        var events: [TrainingEvent] = []
        #expect(throws: TrainingError.nonFinite(iteration: 3, quantity: "meta-loss")) { try loop.run { events.append($0) } }
        #expect(try Data(contentsOf: run.checkpointURL) == good)
        #expect(try Checkpoint(contentsOf: run.checkpointURL).state.iteration == 2)
        #expect(loop.trainer.state.iteration == 2)
        #expect(events.isEmpty)
    }

    @Test("validation runs on schedule and the best state is saved to best.mlck")
    func validationAndBest() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var loop = makeLoop(MLP(layerSizes: [1, 8, 1]), method: .maml, kind: .sinusoid, iterations: 4, directory: directory)
        loop.schedule.validationInterval = 2
        var generator = TestGenerator(seed: 8)
        let tasks = (0..<4).map { _ in sinusoidTask(shots: 5, queries: 10, using: &generator) }
        loop.validate = { learner, state in
            learner.evaluate(parameters: state.parameters, stepSizes: state.stepSizes, tasks: tasks, steps: 2)
        }
        var validations: [(Int, Bool)] = []
        try loop.run { if case .validation(let record, let isBest) = $0 { validations.append((record.iteration, isBest)) } }
        #expect(validations.map(\.0) == [2, 4])
        #expect(validations[0].1)
        let log = RunDirectory(url: directory).readLog().filter { $0.event == "validation" }
        #expect(log.count == 2 && log.allSatisfy { $0.steps == 2 && $0.ci95 != nil })
        let best = try Checkpoint(contentsOf: RunDirectory(url: directory).bestCheckpointURL)
        let bestIteration = log.max { $0.validationScore < $1.validationScore }!.iteration
        #expect(best.state.iteration == bestIteration)
    }
}
