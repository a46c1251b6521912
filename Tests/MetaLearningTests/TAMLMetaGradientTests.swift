// Bayesian TAML's meta-gradient: equal to MAML and Meta-SGD when the balancing variables are off,
// ω's gradient exists only at second order, and the whole gradient matches finite differences.

import Autodiff
import Foundation
import MetaLearning
import NN
import Testing
import TestSupport

@Suite("Bayesian TAML meta-gradient")
struct TAMLMetaGradientTests {
    let task = imbalancedImageTask(seed: 21)
    /// Conv4 on 8×8 images, 3 filters, stride 2, flatten head, 3-way.
    let convNet = ConvNet4(imageSize: 8, inputChannels: 1, filters: 3, way: 3, downsampling: .stride2, head: .flatten)

    func bits(_ tensors: [Tensor]) -> [UInt32] { tensors.flatMap { $0.scalars.map(\.bitPattern) } }

    @Test("every switch off and the head from θ: exactly MAML")
    func equalsMAML() throws {
        let parameters = initialParameters(convNet, seed: 4)
        let maml = MetaLearner(model: convNet, method: .maml, innerSteps: 2, innerLearningRate: 0.1)
        var options = BalancingOptions.maml
        options.headStartsAtZero = false
        let taml = BayesianTAML(model: convNet, encoder: tinyEncoder(layers: 4, filters: 3), options: options,
                                innerSteps: 2, innerLearningRate: 0.1)
        try taml.validate(task, parameters: parameters)
        let expected = maml.taskGradient(parameters: parameters, stepSizes: nil, task: task)
        let result = taml.taskGradient(parameters: parameters, stepSizes: nil, encoderParameters: nil, task: task, noise: nil)
        #expect(result.queryLoss == expected.queryLoss && result.klTerm == 0)
        #expect(bits(result.parameterGradient) == bits(expected.parameterGradient))
        #expect(result.queryAccuracy == expected.queryAccuracy)
    }

    @Test("α only and the head from θ: exactly Meta-SGD")
    func equalsMetaSGD() throws {
        let parameters = initialParameters(convNet, seed: 5)
        let metaSGD = MetaLearner(model: convNet, method: .metasgd, innerSteps: 2, innerLearningRate: 0.05)
        var options = BalancingOptions.metaSGD
        options.headStartsAtZero = false
        let taml = BayesianTAML(model: convNet, encoder: tinyEncoder(layers: 4, filters: 3), options: options,
                                innerSteps: 2, innerLearningRate: 0.05)
        let alpha = try #require(try taml.initialStepSizes(for: parameters))
        #expect(alpha == metaSGD.initialStepSizes(for: parameters))
        let expected = metaSGD.taskGradient(parameters: parameters, stepSizes: alpha, task: task)
        let result = taml.taskGradient(parameters: parameters, stepSizes: alpha, encoderParameters: nil, task: task, noise: nil)
        #expect(result.queryLoss == expected.queryLoss)
        #expect(bits(result.parameterGradient) == bits(expected.parameterGradient))
        #expect(bits(try #require(result.stepSizeGradient)) == bits(try #require(expected.stepSizeGradient)))
    }

    @Test("the l2b head: zero in every task, no gradient, α tiled from one column")
    func zeroHead() throws {
        let parameters = initialParameters(convNet, seed: 6)
        let taml = BayesianTAML(model: convNet, encoder: tinyEncoder(layers: 4, filters: 3), options: .metaSGD,
                                innerSteps: 1, innerLearningRate: 0.05)
        let alpha = try #require(try taml.initialStepSizes(for: parameters))
        #expect(alpha["alpha/dense/weights"].shape == [convNet.featureCount, 1] && alpha["alpha/dense/bias"].shape == [1])
        let result = taml.taskGradient(parameters: parameters, stepSizes: alpha, encoderParameters: nil, task: task, noise: nil)
        // The head's values in θ are ignored: changing them changes nothing.
        var other = parameters
        other["dense/weights"] = Tensor(repeating: 3, shape: other["dense/weights"].shape)
        let again = taml.taskGradient(parameters: other, stepSizes: alpha, encoderParameters: nil, task: task, noise: nil)
        #expect(again.queryLoss == result.queryLoss)
        #expect(result.parameterGradient[parameters.index(of: "dense/weights")!].scalars.allSatisfy { $0 == 0 })
        let headAlpha = try #require(result.stepSizeGradient)[alpha.index(of: "alpha/dense/weights")!]
        #expect(headAlpha.scalars.contains { $0 != 0 })
    }

    @Test("ω's query-loss gradient is non-zero at second order and exactly zero at first order")
    func omegaNeedsSecondOrder() throws {
        var generator = TestGenerator(seed: 8)
        let model = SmoothTinyNet()
        let parameters = model.initialParameters(using: &generator)
        // Deterministic (no KL) with ω alone: the encoder is reached only through ω.
        let options = BalancingOptions(alpha: false, omega: true, gamma: false, z: false, bayesian: false)
        var taml = BayesianTAML(model: model, encoder: tinyEncoder(layers: 2, filters: 2), options: options,
                                innerSteps: 2, innerLearningRate: 0.1)
        let phi = largeEncoderParameters(taml.encoder, seed: 2)
        let second = try #require(taml.taskGradient(parameters: parameters, stepSizes: nil, encoderParameters: phi,
                                                    task: task, noise: nil).encoderGradient)
        taml.firstOrder = true
        let first = try #require(taml.taskGradient(parameters: parameters, stepSizes: nil, encoderParameters: phi,
                                                   task: task, noise: nil).encoderGradient)
        #expect(second.contains { $0.scalars.contains { abs($0) > 1e-6 } })
        #expect(first.allSatisfy { $0.scalars.allSatisfy { $0 == 0 } })
    }

    @Test("the full meta-gradient matches finite differences of sample-then-adapt-then-evaluate", arguments: [1, 2] as [UInt64])
    func matchesFiniteDifferences(seed: UInt64) throws {
        var generator = TestGenerator(seed: 30 + seed)
        let model = SmoothTinyNet()
        let parameters = model.initialParameters(using: &generator)
        let taml = BayesianTAML(model: model, encoder: tinyEncoder(layers: 2, filters: 2), options: .bayesianTAML,
                                innerSteps: 2, innerLearningRate: 0.1)
        try taml.validate(task, parameters: parameters)
        var alpha = try #require(try taml.initialStepSizes(for: parameters))
        alpha = alpha.with(alpha.tensors.map { Tensor.randomUniform(shape: $0.shape, in: 0.05...0.2, using: &generator) })
        let phi = largeEncoderParameters(taml.encoder, seed: seed)
        let noise = BalancingNoise.draw(way: 3, encoder: taml.encoder, using: &generator)
        let result = taml.taskGradient(parameters: parameters, stepSizes: alpha, encoderParameters: phi,
                                       task: task, noise: noise)
        let reference = ReferenceTAML(encoder: taml.encoder, model: model, task: task, noise: noise, steps: 2,
                                      thetaCount: parameters.count, alphaCount: alpha.count)
        let point = parameters.tensors + alpha.tensors + phi.tensors
        #expect(isClose(reference.objective(point), Double(result.loss), relativeTolerance: 1e-5))
        let analytic = result.parameterGradient + result.stepSizeGradient! + result.encoderGradient!
        // One random direction per group (convs and head, batch-norm offsets, α, encoder), then all.
        let groups: [(String, (Int) -> Bool)] = [
            ("conv θ", { $0 < parameters.count && !parameters.names[$0].hasPrefix("bn") }),
            ("batch-norm offsets", { $0 < parameters.count && parameters.names[$0].hasPrefix("bn") }),
            ("α", { $0 >= parameters.count && $0 < parameters.count + alpha.count }),
            ("encoder φ", { $0 >= parameters.count + alpha.count }),
            ("all", { _ in true }),
        ]
        for (name, member) in groups {
            let v = point.indices.map { i in
                member(i) ? Tensor.randomNormal(shape: point[i].shape, using: &generator) : Tensor(zeros: point[i].shape)
            }
            let central = { (h: Float) in
                (reference.objective(perturb(point, along: v, by: h)) - reference.objective(perturb(point, along: v, by: -h)))
                    / (2 * Double(h))
            }
            let numeric = (4 * central(5e-3) - central(1e-2)) / 3
            let value = innerProduct(analytic, v)
            #expect(isClose(value, numeric, relativeTolerance: 3e-3, absoluteTolerance: 1e-4),
                    "\(name): analytic \(value), finite differences \(numeric)")
            #expect(abs(value) > 1e-3, "\(name): the derivative along v must be large enough to test")
        }
    }
}

/// An independent, plain implementation of one task's objective, for finite differences:
/// F(θ, α, φ) = L_query(θ_K) + KL/(N+M) with the sample noise fixed and a zero head.
struct ReferenceTAML {
    let encoder: SetEncoder
    let model: SmoothTinyNet
    let task: FewShotTask
    let noise: BalancingNoise
    let steps: Int
    let thetaCount: Int
    let alphaCount: Int

    func objective(_ point: [Tensor]) -> Double {
        var theta = Array(point[0..<thetaCount])
        let alpha = Array(point[thetaCount..<(thetaCount + alphaCount)]), phi = Array(point[(thetaCount + alphaCount)...])
        guard case .classes(let labels, let way) = task.supportTargets,
              case .classes(let queryLabels, _) = task.queryTargets else { return .nan }
        let tape = Tape(recording: false)
        let q = encoder.posteriors(images: tape.constant(task.supportInputs), labels: labels, way: way,
                                   parameters: phi.map { tape.variable(Dual($0), needsGradient: false) })
        let omega = q.omega.sample(noise: noise.omega).value
        let gamma = q.gamma.sample(noise: noise.gamma).value.scalars
        let z = q.z.sample(noise: noise.z).value.scalars
        let kl = [q.omega, q.gamma, q.z].map { Double($0.klDivergenceFromStandardNormal().value.scalar) }.reduce(0, +)
        // Model order: conv1 W, b, bn1, conv2 W, b, bn2, dense W, b. Filters F = 2, z = [zw1, zw2, zb1, zb2].
        let f = 2
        for layer in 0..<2 {
            let w = 3 * layer, b = 3 * layer + 1
            theta[w].scalars = theta[w].scalars.enumerated().map { j, x in x * (1 + z[layer * f + j % f]) }
            theta[b].scalars = theta[b].scalars.enumerated().map { c, x in x + z[2 * f + layer * f + c] }
        }
        theta[6] = Tensor(zeros: theta[6].shape)
        theta[7] = Tensor(zeros: theta[7].shape)
        // Step sizes α ⊙ exp(γ_layer) for the adapted tensors (conv1 W, b, conv2 W, b, dense W, b).
        let adapted = [0, 1, 3, 4, 6, 7], layerOf = [0, 0, 1, 1, 2, 2]
        let support: ScalarFunction = { p in
            classBalancedLoss(logits: model.predict(p[0].constant(task.supportInputs), parameters: Array(p.prefix(8))),
                              labels: labels, way: way, omega: p[8])
        }
        for _ in 0..<steps {
            let g = gradient(at: theta + [omega], in: support)
            for (position, index) in adapted.enumerated() {
                let rate = alpha[position].scalars, multiplier = Float(Foundation.exp(Double(gamma[layerOf[position]])))
                theta[index].scalars = theta[index].scalars.enumerated().map { j, x in
                    let tiled = index == 6 ? rate[j / way] : index == 7 ? rate[0] : rate[j]   // head α tiled
                    return x - tiled * multiplier * g[index].scalars[j]
                }
            }
        }
        let query: ScalarFunction = { p in
            model.predict(p[0].constant(task.queryInputs), parameters: p).softmaxCrossEntropy(labels: queryLabels).mean()
        }
        let examples = Double(labels.count + queryLabels.count)
        return evaluate(query, at: theta) + kl / examples
    }
}
