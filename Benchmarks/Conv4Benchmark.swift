// One gradient and one Hessian-vector product of a 5-way Conv4 loss on 80 images 28×28×1
// (64 filters, stride 2, padding 1, batch statistics): the two passes MAML repeats per task.
// Checked first: ⟨∇L, v⟩ equals the forward-mode JVP, and the HVP pass returns the same gradient.

import Autodiff
import Datasets
import Kernels
import NN
import Randomness

/// The Conv4 network, its parameters, a batch of images, and the loss as a function of θ.
struct Conv4Problem {
    let network: ConvNet4
    let theta: [Tensor]
    let direction: [Tensor]
    let loss: ScalarFunction

    init(images count: Int = 80, way: Int = 5) {
        var network = ConvNet4(imageSize: 28, inputChannels: 1, filters: 64, way: way,
                               downsampling: .stride2, head: .flatten)
        network.padding = .symmetric(1)
        var generator = SplitMix64(seed: 1)
        theta = network.initialParameters(using: &generator).tensors
        direction = theta.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        let images = Tensor.randomUniform(shape: [count, 28, 28, 1], in: 0...1, using: &generator)
        let labels = (0..<count).map { Int32($0 % way) }
        self.network = network
        loss = { p in network.logits(p[0].constant(images), parameters: p).softmaxCrossEntropy(labels: labels).mean() }
    }

    /// Multiply-adds of one forward pass, ×2 for FLOPs (convolutions and the head only).
    var forwardFlops: Double {
        var flops = 0.0, channels = 1
        for block in 1...4 {
            let side = network.spatialSize(afterBlock: block)
            flops += 2 * Double(80 * side * side) * Double(9 * channels) * 64
            channels = 64
        }
        return flops + 2 * 80 * Double(network.featureCount * network.way)
    }
}

let conv4GradBenchmark = Benchmark(name: "conv4-grad", summary: "gradient of a 5-way Conv4 loss, 80 images 28×28×1") {
    let problem = Conv4Problem()
    let (_, g) = valueWithGradient(at: problem.theta, in: problem.loss)
    let forward = jvp(at: problem.theta, along: problem.direction, in: problem.loss).derivative
    let reverse = zip(g, problem.direction).reduce(0.0) { total, pair in
        total + zip(pair.0.scalars, pair.1.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    guard abs(Double(forward) - reverse) <= 1e-3 * max(1, abs(reverse)) else {
        throw BenchmarkFailure(description: "conv4-grad: ⟨∇L, v⟩ = \(reverse) but the JVP is \(forward)")
    }
    let timings = measure(warmupRuns: 2, minimumRuns: 10, minimumSeconds: 2) {
        blackHole(valueWithGradient(at: problem.theta, in: problem.loss))
    }
    var result = BenchmarkResult(benchmark: "conv4-grad")
    result.add(timings, flops: 3 * problem.forwardFlops)
    return [result]
}

let conv4HVPBenchmark = Benchmark(name: "conv4-hvp", summary: "Hessian-vector product of the same loss (forward over reverse)") {
    let problem = Conv4Problem()
    let plain = gradient(at: problem.theta, in: problem.loss)
    let withHVP = hessianVectorProduct(at: problem.theta, along: problem.direction, in: problem.loss)
    for (a, b) in zip(plain, withHVP.gradient) where a != b {
        throw BenchmarkFailure(description: "conv4-hvp: the HVP pass changed the gradient")
    }
    guard withHVP.hessianVector.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else {
        throw BenchmarkFailure(description: "conv4-hvp: non-finite Hessian-vector product")
    }
    let timings = measure(warmupRuns: 2, minimumRuns: 10, minimumSeconds: 2) {
        blackHole(hessianVectorProduct(at: problem.theta, along: problem.direction, in: problem.loss))
    }
    var result = BenchmarkResult(benchmark: "conv4-hvp")
    result.add(timings)
    return [result]
}
