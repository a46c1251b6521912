// The building blocks of Bayesian TAML: the diagonal Gaussian's KL and reparameterised sample,
// the statistics pooling and the class-balanced support loss.

import Autodiff
import Foundation
import MetaLearning
import Testing
import TestSupport

@Suite("Bayesian TAML building blocks")
struct TAMLDistributionTests {
    @Test("closed-form KL(q ‖ N(0,1)) matches a Monte-Carlo estimate")
    func klMatchesMonteCarlo() {
        var generator = TestGenerator(seed: 3)
        let mu = Tensor.randomNormal(shape: [6], standardDeviation: 0.8, using: &generator)
        let rho = Tensor.randomUniform(shape: [6], in: -1...1.5, using: &generator)
        let tape = Tape(recording: false)
        let q = DiagonalNormal(mean: tape.constant(mu), rawScale: tape.constant(rho))
        let closedForm = Double(q.klDivergenceFromStandardNormal().value.scalar)
        let sigma = q.standardDeviation.value.scalars.map(Double.init)
        // log q(x) − log p(x) at x = μ + σε is Σ −ε²/2 − log σ + x²/2.
        let samples = 200_000
        let noise = Tensor.randomNormal(shape: [samples, 6], using: &generator).scalars
        var sum = 0.0, sumOfSquares = 0.0
        for sample in 0..<samples {
            var value = 0.0
            for i in 0..<6 {
                let epsilon = Double(noise[sample * 6 + i])
                let x = Double(mu.scalars[i]) + sigma[i] * epsilon
                value += -epsilon * epsilon / 2 - Foundation.log(sigma[i]) + x * x / 2
            }
            sum += value
            sumOfSquares += value * value
        }
        let mean = sum / Double(samples)
        let standardError = ((sumOfSquares / Double(samples) - mean * mean) / Double(samples)).squareRoot()
        #expect(abs(closedForm - mean) < 4 * standardError, "closed form \(closedForm), Monte Carlo \(mean) ± \(standardError)")
        #expect(closedForm > 0.5)
        // Zero exactly at the prior: μ = 0, σ = softplus(log(e − 1)) = 1.
        let prior = DiagonalNormal(mean: tape.constant(Tensor(zeros: [3])),
                                   rawScale: tape.constant(Tensor(repeating: Float(Foundation.log(M_E - 1)), shape: [3])))
        #expect(abs(prior.klDivergenceFromStandardNormal().value.scalar) < 1e-6)
    }

    @Test("the reparameterised sample carries gradients to μ and the raw scale")
    func sampleGradients() {
        let mu = Tensor(shape: [3], scalars: [0.5, -1, 2]), rho = Tensor(shape: [3], scalars: [-0.3, 0.2, 1])
        let epsilon = Tensor(shape: [3], scalars: [1.5, -0.7, 0.3])
        let g = gradient(at: [mu, rho]) { p in DiagonalNormal(mean: p[0], rawScale: p[1]).sample(noise: epsilon).sum() }
        #expect(g[0].scalars == [1, 1, 1])
        for i in 0..<3 {   // d(σε)/dρ = sigmoid(ρ)·ε
            let expected = Double(epsilon.scalars[i]) / (1 + Foundation.exp(-Double(rho.scalars[i])))
            #expect(isClose(Double(g[1].scalars[i]), expected, relativeTolerance: 1e-5))
        }
    }

    @Test("statistics pooling: mean, population variance and normalised size per column")
    func statisticsPoolingByHand() {
        let x = Tensor(shape: [3, 2], scalars: [1, 10, 2, 20, 6, 60])
        let tape = Tape(recording: false)
        let pooled = statisticsPooling(tape.constant(x), size: normalisedSetSize(3, maxShot: 5)).value
        // Column 0: mean 3, variance ((−2)² + (−1)² + 3²)/3 = 14/3; column 1 is ten times that.
        let expected: [Double] = [3, 14.0 / 3, 0.5, 30, 1400.0 / 3, 0.5]
        #expect(pooled.shape == [2, 3])
        #expect(relativeError(pooled, expected) < 1e-6)
        let single = statisticsPooling(tape.constant(Tensor(shape: [1, 2], scalars: [4, 5])), size: 0).value
        #expect(single.scalars == [4, 0, 0, 5, 0, 0])
        #expect(normalisedSetSize(1, maxShot: 50) == 0 && normalisedSetSize(50, maxShot: 50) == 1)
        #expect(normalisedSetSize(3, maxShot: 1) == 0)
    }

    @Test("uniform ω makes the class-balanced support loss the mean loss; other ω weight class sums")
    func classBalancedLossWeights() {
        var generator = TestGenerator(seed: 9)
        let logits = Tensor.randomNormal(shape: [6, 3], using: &generator)
        let labels: [Int32] = [0, 1, 1, 2, 2, 2]
        let tape = Tape(recording: false)
        let perExample = tape.constant(logits).softmaxCrossEntropy(labels: labels).value.scalars.map(Double.init)
        let mean = perExample.reduce(0, +) / 6
        for value in [0, 2.5] as [Float] {
            let balanced = classBalancedLoss(logits: tape.constant(logits), labels: labels, way: 3,
                                             omega: tape.constant(Tensor(repeating: value, shape: [3])))
            #expect(isClose(Double(balanced.value.scalar), mean, relativeTolerance: 1e-6))
        }
        let omega: [Double] = [1, -0.5, 0.2]
        let z = omega.map { Foundation.exp($0) }.reduce(0, +)
        var expected = 0.0
        for (i, label) in labels.enumerated() { expected += Foundation.exp(omega[Int(label)]) / z * perExample[i] * 3 / 6 }
        let weighted = classBalancedLoss(logits: tape.constant(logits), labels: labels, way: 3,
                                         omega: tape.constant(Tensor(shape: [3], scalars: omega.map(Float.init))))
        #expect(isClose(Double(weighted.value.scalar), expected, relativeTolerance: 1e-5))
        #expect(abs(expected - mean) > 1e-2)
    }
}

@Suite("Bayesian TAML test-time prediction")
struct TAMLPredictionTests {
    @Test("posterior means reproduce the training-time adaptation; S samples average probabilities")
    func monteCarloPrediction() throws {
        let task = imbalancedImageTask(seed: 21)
        var generator = TestGenerator(seed: 12)
        let model = SmoothTinyNet()
        let parameters = model.initialParameters(using: &generator)
        let taml = BayesianTAML(model: model, encoder: tinyEncoder(layers: 2, filters: 2), options: .bayesianTAML,
                                innerSteps: 2, innerLearningRate: 0.1)
        let alpha = try #require(try taml.initialStepSizes(for: parameters))
        let phi = largeEncoderParameters(taml.encoder, seed: 3)
        let means = taml.predictQuery(parameters: parameters, stepSizes: alpha, encoderParameters: phi, task: task,
                                      samples: 0, steps: 2, using: &generator)
        let training = taml.taskGradient(parameters: parameters, stepSizes: alpha, encoderParameters: phi,
                                         task: task, noise: nil)
        #expect(means.accuracy == training.queryAccuracy)
        // Mean cross-entropy of the probabilities equals the query loss at the same θ_K.
        let labels: [Int32] = [0, 1, 2, 0, 1, 2]
        let crossEntropy = labels.enumerated().map { -log(Double(means.probabilities.scalars[$0 * 3 + Int($1)])) }
            .reduce(0, +) / 6
        #expect(isClose(crossEntropy, Double(training.queryLoss), relativeTolerance: 1e-4))
        // Several samples: rows still sum to 1, and differ from the means' prediction.
        let sampled = taml.predictQuery(parameters: parameters, stepSizes: alpha, encoderParameters: phi, task: task,
                                        samples: 4, steps: 2, using: &generator)
        for row in 0..<6 {
            #expect(abs(sampled.probabilities.scalars[(row * 3)..<(row * 3 + 3)].reduce(0, +) - 1) < 1e-5)
        }
        #expect(relativeError(sampled.probabilities, means.probabilities) > 1e-4)
    }
}
