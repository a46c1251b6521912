// Primal replay: an HVP that takes a gradient pass's primal values must give the same bits as
// one that computes them, for every op and for the meta-gradient of a conv net; a replay that
// does not match its record must notice, stop replaying and still give the right answer.

import Autodiff
import MetaLearning
import Testing
import TestSupport

/// The HVP at x along v, computed plainly and with the primal values of a gradient pass at x.
private func plainAndReplayed(_ f: ScalarFunction, at x: [Tensor], along v: [Tensor])
    -> (plain: [Tensor], replayed: [Tensor], record: PrimalRecord, recorded: Int)
{
    let plain = hessianVectorProduct(at: x, along: v, in: f)
    let record = PrimalRecord()
    let recordedGradient = record.recording { gradient(at: x, in: f) }
    #expect(bitPatterns(recordedGradient) == bitPatterns(plain.gradient), "recording changed the gradient")
    let recorded = record.count
    let replayed = record.replaying { hessianVectorProduct(at: x, along: v, in: f) }
    #expect(bitPatterns(replayed.gradient) == bitPatterns(plain.gradient))
    #expect(replayed.value.bitPattern == plain.value.bitPattern)
    return (plain.hessianVector, replayed.hessianVector, record, recorded)
}

private func bitPatterns(_ tensors: [Tensor]) -> [[UInt32]] { tensors.map { $0.scalars.map(\.bitPattern) } }

private func direction(like x: [Tensor], seed: UInt64) -> [Tensor] {
    var generator = TestGenerator(seed: seed)
    return x.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
}

@Suite("Primal replay in Hessian-vector products")
struct PrimalReplayTests {
    @Test("every op: the replayed HVP has the same bits, and every recorded value is used",
          arguments: derivativeCases.map(\.name))
    func everyOp(name: String) {
        let testCase = derivativeCases.first { $0.name == name }!
        let x = inputs(for: testCase, seed: 4)
        let run = plainAndReplayed(testCase.function, at: x, along: direction(like: x, seed: 5))
        #expect(bitPatterns(run.replayed) == bitPatterns(run.plain), "\(name): H·v differs")
        #expect(run.recorded > 0)
        #expect(run.record.replayedCount == run.recorded && !run.record.hasDiverged,
                "\(name): replayed \(run.record.replayedCount) of \(run.recorded)")
    }

    @Test("conv → batch norm → ReLU → max-pool net: same bits, with the convolutions' GEMMs replayed")
    func convNet() {
        let task = TinyConvTask()
        let run = plainAndReplayed(task.supportLoss, at: task.theta, along: direction(like: task.theta, seed: 6))
        #expect(bitPatterns(run.replayed) == bitPatterns(run.plain))
        #expect(run.recorded > 30 && run.record.replayedCount == run.recorded && !run.record.hasDiverged)
    }

    @Test("a replay of another function notices, stops replaying and still gives that function's HVP")
    func mismatchStopsReplay() {
        let task = TinyConvTask()
        let v = direction(like: task.theta, seed: 8)
        let record = PrimalRecord()
        _ = record.recording { gradient(at: task.theta, in: task.supportLoss) }
        let smooth = TinyConvTask.loss(images: task.support, labels: task.supportLabels, smooth: true)
        let replayed = record.replaying { hessianVectorProduct(at: task.theta, along: v, in: smooth) }
        let plain = hessianVectorProduct(at: task.theta, along: v, in: smooth)
        #expect(record.hasDiverged)
        #expect(bitPatterns(replayed.hessianVector) == bitPatterns(plain.hessianVector))
    }

    @Test("MAML with two steps: the meta-gradient has the same bits with and without replay")
    func metaGradientSameBits() {
        let task = TinyConvTask()
        let results = [true, false].map { replays in
            metaGradient(at: task.theta, supportLoss: task.supportLoss, queryLoss: task.queryLoss,
                         stepSizes: .uniform(task.alpha), innerSteps: 2, firstOrder: false, replaysPrimals: replays)
        }
        #expect(bitPatterns(results[0].gradient) == bitPatterns(results[1].gradient))
        #expect(results[0].queryLoss.bitPattern == results[1].queryLoss.bitPattern)
    }

    @Test("Meta-SGD with batch-norm offsets as context: same bits with and without replay")
    func contextAndStepSizesSameBits() {
        let task = TinyConvTask()
        let adapted = [0, 1, 3, 4, 6, 7], context = [2, 5]
        let order = adapted + context
        let support: ScalarFunction = { p in
            var original = p
            for (position, index) in order.enumerated() { original[index] = p[position] }
            return task.supportLoss(original)
        }
        let query: ScalarFunction = { p in
            var original = p
            for (position, index) in order.enumerated() { original[index] = p[position] }
            return task.queryLoss(original)
        }
        let theta = adapted.map { task.theta[$0] }
        var generator = TestGenerator(seed: 9)
        let rates = theta.map { Tensor.randomUniform(shape: $0.shape, in: 0.02...0.2, using: &generator) }
        let results = [true, false].map { replays in
            metaGradient(at: theta, context: context.map { task.theta[$0] }, supportLoss: support, queryLoss: query,
                         stepSizes: .perElement(rates), innerSteps: 3, firstOrder: false, replaysPrimals: replays)
        }
        #expect(bitPatterns(results[0].gradient) == bitPatterns(results[1].gradient))
        #expect(bitPatterns(results[0].contextGradient) == bitPatterns(results[1].contextGradient))
        #expect(bitPatterns(results[0].stepSizeGradient) == bitPatterns(results[1].stepSizeGradient))
    }
}
