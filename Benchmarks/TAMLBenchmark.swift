// W3-TAML: the W3 workload (Conv4 + max-pool, 32 filters, 32×32×3, 5-way 10-shot, 15 queries per
// class, meta-batch 4, 5 inner steps, second order) with every balancing variable of Bayesian TAML
// on (α, ω, γ, z; one reparameterised sample per task), as l2b trains it: batch-norm offsets
// meta-learned and not adapted, no batch-norm scale, the head starting at zero.

import Autodiff
import Datasets
import MetaLearning
import NN
import Randomness

let tamlBenchmark = Benchmark(name: "W3-TAML", summary: "W3 with Bayesian TAML (α, ω, γ, z on), one meta-iteration") {
    var network = ConvNet4(imageSize: 32, inputChannels: 3, filters: 32, way: 5, downsampling: .maxPool, head: .flatten)
    network.padding = .symmetric(1)
    let encoder = SetEncoder(imageSize: 32, inputChannels: 3, maxShot: 50, baseConvLayers: 4, baseFilters: 32)
    let taml = BayesianTAML(model: network, encoder: encoder, options: .bayesianTAML, innerSteps: 5, innerLearningRate: 0.5)
    var generator = SplitMix64(seed: 8)
    var parameters = network.initialParameters(using: &generator)
    var stepSizes = try taml.initialStepSizes(for: parameters)!
    var encoderParameters = taml.initialEncoderParameters(using: &generator)!
    let tasks = randomImageTasks(count: 4, way: 5, shot: 10, queries: 15, side: 32, channels: 3, seed: 7)
    for task in tasks { try taml.validate(task, parameters: parameters) }
    var optimizers = (Adam(learningRate: 1e-3, clipValue: 3), Adam(learningRate: 1e-3, clipValue: 3),
                      Adam(learningRate: 1e-3, clipValue: 3))

    /// One meta-iteration: fresh noise per task, the meta-batch gradient, three Adam steps.
    func iterate() -> Float {
        let noise = tasks.map { _ in BalancingNoise.draw(way: 5, encoder: encoder, using: &generator) }
        let batch = taml.metaBatchGradient(parameters: parameters, stepSizes: stepSizes,
                                           encoderParameters: encoderParameters, tasks: tasks, noise: noise)
        optimizers.0.update(&parameters.tensors, along: batch.parameterGradient)
        optimizers.1.update(&stepSizes.tensors, along: batch.stepSizeGradient!)
        optimizers.2.update(&encoderParameters.tensors, along: batch.encoderGradient!)
        return batch.loss
    }

    let before = encoderParameters
    let loss = iterate()
    guard loss.isFinite, encoderParameters != before, parameters.isFinite else {
        throw BenchmarkFailure(description: "W3-TAML: the first meta-iteration gave loss \(loss) or did not move the encoder")
    }
    let timings = measure(warmupRuns: 1, minimumRuns: 5, minimumSeconds: 5) { blackHole(iterate()) }
    var result = BenchmarkResult(benchmark: "W3-TAML")
    result.add("method", .string("taml"))
    result.add("meta_batch", .integer(tasks.count))
    result.add(timings)
    return [result]
}
