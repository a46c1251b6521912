// Checkpoint files: exact round trip of every bit, atomic replacement (a leftover temporary file
// is harmless), and clear errors for missing, foreign, truncated or corrupted files.

import Autodiff
import Foundation
import MetaLearning
import NN
import Testing
import TestSupport

/// A Meta-SGD state after two iterations: θ, α and both Adam moments are all non-trivial.
func trainedState() throws -> TrainingState {
    let learner = MetaLearner(model: MLP(layerSizes: [1, 8, 1]), method: .metasgd, innerSteps: 1, innerLearningRate: 0.01)
    var trainer = MetaTrainer(learner: learner, parameters: initialParameters(learner.model, seed: 1),
                              metaLearningRate: 0.003, clipValue: 3, taskStreamState: UInt64.max - 5)
    var source = TestTaskSource(kind: .sinusoid, randomState: 0)
    for _ in 0..<2 { _ = try trainer.step(drawingFrom: &source, metaBatchSize: 2) }
    return trainer.state
}

@Suite("Checkpoints")
struct CheckpointTests {
    @Test("encode → decode restores θ, α, Adam moments, step, settings and the task-stream state exactly")
    func roundTrip() throws {
        let state = try trainedState()
        let checkpoint = Checkpoint(state: state, metadata: ["model": "mlp 1-8-1", "method": "metasgd"])
        let decoded = try Checkpoint(data: checkpoint.encoded())
        #expect(decoded == checkpoint)
        #expect(bits(decoded.state) == bits(state))
        #expect(decoded.state.taskStreamState == state.taskStreamState)
        #expect(decoded.state.optimizer.clipValue == 3 && decoded.state.optimizer.step == 2)
        #expect(decoded.state.stepSizes?.names == state.stepSizes?.names)
    }

    @Test("a state before any step (no Adam moments yet, a stream state above 2⁵³) round-trips")
    func freshState() throws {
        let state = TrainingState(iteration: 0, parameters: initialParameters(MLP(), seed: 3), stepSizes: nil,
                                  optimizer: Adam(learningRate: 0.001), taskStreamState: UInt64.max - 5)
        #expect(try Checkpoint(data: Checkpoint(state: state).encoded()).state == state)
    }

    @Test("writing replaces the file atomically; a leftover temporary file neither breaks reading nor writing")
    func atomicWrite() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("checkpoint.mlck")
        let state = try trainedState()
        try Checkpoint(state: state).write(to: url)
        // A crash during the next write would leave a partial temporary file behind.
        let leftover = Checkpoint.temporaryURL(for: url)
        try Data("half a checkpoint".utf8).write(to: leftover)
        #expect(try Checkpoint(contentsOf: url).state == state)
        var later = state
        later.iteration = 3
        try Checkpoint(state: later).write(to: url)
        #expect(try Checkpoint(contentsOf: url).state.iteration == 3)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names == ["checkpoint.mlck"])
    }

    @Test("damaged files give errors that say what happened and what to do")
    func damagedFiles() throws {
        let good = [UInt8](Checkpoint(state: try trainedState()).encoded())
        func error(for bytes: [UInt8]) -> CheckpointError? {
            do { _ = try Checkpoint(data: Data(bytes), path: "run/checkpoint.mlck"); return nil } catch {
                return error as? CheckpointError
            }
        }
        var flipped = good
        flipped[good.count - 3] ^= 0x10
        #expect(error(for: flipped) == .checksumMismatch(path: "run/checkpoint.mlck"))
        #expect(error(for: Array(good.dropLast(10))) == .truncated(path: "run/checkpoint.mlck", expectedBytes: good.count,
                                                                   actualBytes: good.count - 10))
        #expect(error(for: Array("not a checkpoint at all, just some text".utf8)) == .notACheckpoint(path: "run/checkpoint.mlck"))
        #expect(error(for: Array(good.prefix(5))) == .notACheckpoint(path: "run/checkpoint.mlck"))
        var version = good
        version[8] = 9
        #expect(error(for: version) == .unsupportedVersion(path: "run/checkpoint.mlck", found: 9, supported: 1))
        let messages = [flipped, Array(good.dropLast(10))].compactMap { error(for: $0)?.description }
        #expect(messages.count == 2 && messages.allSatisfy { $0.contains("damaged") && $0.contains("--resume") })
    }

    @Test("a missing file or a directory is reported, not a crash")
    func missingFile() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("nothing.mlck")
        #expect(throws: CheckpointError.notFound(path: missing.path)) { try Checkpoint(contentsOf: missing) }
        #expect(throws: CheckpointError.unreadable(path: directory.path, reason: "it is a directory")) {
            try Checkpoint(contentsOf: directory)
        }
    }
}
