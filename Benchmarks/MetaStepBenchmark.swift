// One meta-iteration (inner loops + meta-gradient + Adam step) of the workloads, on random
// data of the right shapes. Batch norm uses batch statistics with scale and offset adapted in the
// inner loop like every other parameter; convolutions use padding 1.
//
//   W1      sinusoid MAML, MLP 1-40-40-1, K = 10 + 10, meta-batch 25, 1 step α 0.01, second order
//           (the hand-derived MLP path; W1-generic runs it through the autodiff engine)
//   W2      Omniglot Conv4 (64 filters, stride 2, flatten 256 → 5), 5-way 1-shot, 15 queries/class,
//           meta-batch 32, 1 step α 0.4, second order;  W2-FO first order
//   W3      Conv4 + max-pool (32 filters), 32×32×3, 5-way 10-shot, 15 queries/class, meta-batch 4,
//           5 Meta-SGD steps (α initialised to 0.5), second order;  W3-FO first order

import Autodiff
import Datasets
import Foundation
import MetaLearning
import NN
import Randomness

/// A meta-learner, its parameters and optimizer, and a fixed meta-batch of random tasks.
struct MetaStepWorkload<Model: FewShotModel> {
    var learner: MetaLearner<Model>
    var parameters: Parameters
    var stepSizes: Parameters?
    var optimizer = Adam(learningRate: 1e-3)
    var stepSizeOptimizer = Adam(learningRate: 1e-3)
    let tasks: [FewShotTask]

    init(learner: MetaLearner<Model>, tasks: [FewShotTask], seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        self.learner = learner
        parameters = learner.model.initialParameters(using: &generator)
        stepSizes = learner.initialStepSizes(for: parameters)
        self.tasks = tasks
    }

    /// One meta-iteration: meta-batch gradient, then Adam on θ (and on α for Meta-SGD).
    mutating func iterate() -> Float {
        let batch = learner.metaBatchGradient(parameters: parameters, stepSizes: stepSizes, tasks: tasks)
        optimizer.update(&parameters.tensors, along: batch.parameterGradient)
        if var alphas = stepSizes, let g = batch.stepSizeGradient {
            stepSizeOptimizer.update(&alphas.tensors, along: g)
            stepSizes = alphas
        }
        return batch.queryLoss
    }
}

/// Random classification tasks: images uniform in [0, 1], labels balanced.
func randomImageTasks(count: Int, way: Int, shot: Int, queries: Int, side: Int, channels: Int,
                      seed: UInt64) -> [FewShotTask] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        let support = Tensor.randomUniform(shape: [way * shot, side, side, channels], in: 0...1, using: &generator)
        let query = Tensor.randomUniform(shape: [way * queries, side, side, channels], in: 0...1, using: &generator)
        return FewShotTask(supportInputs: support, supportTargets: .classes((0..<(way * shot)).map { Int32($0 / shot) }, way: way),
                           queryInputs: query, queryTargets: .classes((0..<(way * queries)).map { Int32($0 / queries) }, way: way))
    }
}

/// Random sinusoid tasks y = A sin(x − φ) with K support and K query points.
func randomSinusoidTasks(count: Int, shots: Int, seed: UInt64) -> [FewShotTask] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        let amplitude = Float.random(in: 0.1...5, using: &generator), phase = Float.random(in: 0...Float.pi, using: &generator)
        func points() -> (Tensor, Tensor) {
            let x = Tensor.randomUniform(shape: [shots, 1], in: -5...5, using: &generator)
            return (x, Tensor(shape: [shots, 1], scalars: x.scalars.map { amplitude * sinf($0 - phase) }))
        }
        let (xs, ys) = points(), (xq, yq) = points()
        return FewShotTask(supportInputs: xs, supportTargets: .values(ys), queryInputs: xq, queryTargets: .values(yq))
    }
}

/// Verifies that the meta-loss is finite and that a few iterations change the parameters, then
/// times iterations and reports the median.
func runMetaStep<Model: FewShotModel>(_ name: String, _ workload: MetaStepWorkload<Model>,
                                      minimumRuns: Int, minimumSeconds: Double) throws -> BenchmarkResult {
    var workload = workload
    let before = workload.parameters
    let loss = workload.iterate()
    guard loss.isFinite, workload.parameters != before, workload.parameters.isFinite else {
        throw BenchmarkFailure(description: "\(name): the first meta-iteration gave loss \(loss) or did not move θ")
    }
    let timings = measure(warmupRuns: 1, minimumRuns: minimumRuns, minimumSeconds: minimumSeconds) {
        blackHole(workload.iterate())
    }
    var result = BenchmarkResult(benchmark: name)
    result.add("method", .string(workload.learner.method.rawValue))
    result.add("meta_batch", .integer(workload.tasks.count))
    result.add(timings)
    return result
}

func conv4Learner(w3: Bool, method: MetaMethod) -> MetaLearner<ConvNet4> {
    var network = w3
        ? ConvNet4(imageSize: 32, inputChannels: 3, filters: 32, way: 5, downsampling: .maxPool, head: .flatten)
        : ConvNet4(imageSize: 28, inputChannels: 1, filters: 64, way: 5, downsampling: .stride2, head: .flatten)
    network.padding = .symmetric(1)
    network.batchNormScale = true
    return MetaLearner(model: network, method: method, innerSteps: w3 ? 5 : 1, innerLearningRate: w3 ? 0.5 : 0.4,
                       reduction: .mean, batchNormPolicy: .transductiveAdapted)
}

let metaStepBenchmarks: [Benchmark] = [
    Benchmark(name: "W1", summary: "sinusoid MAML meta-iteration (MLP 1-40-40-1, batch 25, 1 step)") {
        let learner = MetaLearner(model: MLP(), method: .maml, innerSteps: 1, innerLearningRate: 0.01)
        let workload = MetaStepWorkload(learner: learner, tasks: randomSinusoidTasks(count: 25, shots: 10, seed: 3), seed: 4)
        return [try runMetaStep("W1", workload, minimumRuns: 200, minimumSeconds: 2)]
    },
    Benchmark(name: "W1-generic", summary: "W1 through the generic autodiff path instead of the hand-derived MLP") {
        var learner = MetaLearner(model: MLP(), method: .maml, innerSteps: 1, innerLearningRate: 0.01)
        learner.usesHandDerivedMLP = false
        let workload = MetaStepWorkload(learner: learner, tasks: randomSinusoidTasks(count: 25, shots: 10, seed: 3), seed: 4)
        return [try runMetaStep("W1-generic", workload, minimumRuns: 200, minimumSeconds: 2)]
    },
    Benchmark(name: "W2", summary: "Omniglot Conv4 MAML meta-iteration, 5-way 1-shot, batch 32, second order") {
        let tasks = randomImageTasks(count: 32, way: 5, shot: 1, queries: 15, side: 28, channels: 1, seed: 5)
        return [try runMetaStep("W2", MetaStepWorkload(learner: conv4Learner(w3: false, method: .maml), tasks: tasks, seed: 6),
                                minimumRuns: 5, minimumSeconds: 5)]
    },
    Benchmark(name: "W2-FO", summary: "W2 with first-order MAML") {
        let tasks = randomImageTasks(count: 32, way: 5, shot: 1, queries: 15, side: 28, channels: 1, seed: 5)
        return [try runMetaStep("W2-FO", MetaStepWorkload(learner: conv4Learner(w3: false, method: .fomaml), tasks: tasks, seed: 6),
                                minimumRuns: 5, minimumSeconds: 5)]
    },
    w3Benchmark("W3", "Conv4+max-pool Meta-SGD meta-iteration, 5-way 10-shot, 5 steps, second order") { _ in },
    w3Benchmark("W3-no-replay", "W3 with the HVPs recomputing the inner loop's values (--primal-replay off)") {
        $0.replaysPrimals = false
    },
    w3Benchmark("W3-FO", "W3 with first-order Meta-SGD (α still gets its gradient)") { $0.firstOrder = true },
]

/// W3 (Meta-SGD on W3's tasks) with `configure` applied to the learner.
func w3Benchmark(_ name: String, _ summary: String,
                 configure: @escaping @Sendable (inout MetaLearner<ConvNet4>) -> Void) -> Benchmark {
    Benchmark(name: name, summary: summary) {
        let tasks = randomImageTasks(count: 4, way: 5, shot: 10, queries: 15, side: 32, channels: 3, seed: 7)
        var learner = conv4Learner(w3: true, method: .metasgd)
        configure(&learner)
        return [try runMetaStep(name, MetaStepWorkload(learner: learner, tasks: tasks, seed: 8),
                                minimumRuns: 5, minimumSeconds: 5)]
    }
}
