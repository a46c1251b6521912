// Bayesian TAML at test time: S Monte-Carlo samples of (ω, γ, z), the whole inner loop re-run
// for each, and the query softmax probabilities averaged (l2b `--n_mc_samples`, 10 by default).

import Autodiff
import NN

extension BayesianTAML {
    /// Averaged query probabilities `[M, way]` after adaptation, and the accuracy of their argmax.
    ///
    /// - Parameters:
    ///   - samples: S reparameterised samples; 0 (or deterministic TAML, or no encoder) uses the
    ///     posterior means once (l2b's validation).
    ///   - steps: inner steps (l2b: 10 at test, 5 at training).
    ///   - generator: draws the S noise vectors in order.
    /// - Precondition: `validate(task, parameters:)` passes.
    public func predictQuery(parameters: Parameters, stepSizes: Parameters?, encoderParameters: Parameters?,
                             task: FewShotTask, samples: Int, steps: Int,
                             using generator: inout some RandomNumberGenerator) -> (probabilities: Tensor, accuracy: Float) {
        let layout: BaseNetworkLayout
        do { layout = try self.layout(of: parameters) } catch { preconditionFailure(error.description) }
        guard case .classes(let labels, let way) = task.queryTargets else {
            preconditionFailure(TAMLError.notClassification.description)
        }
        let drawsNoise = options.bayesian && options.usesEncoder && samples > 0
        let runs = drawsNoise ? samples : 1
        var total = Tensor(zeros: [labels.count, way])
        for _ in 0..<runs {
            let noise = drawsNoise ? BalancingNoise.draw(way: way, encoder: encoder, using: &generator) : nil
            let adapted = adapt(layout: layout, parameters: parameters, stepSizes: stepSizes,
                                encoderParameters: encoderParameters, task: task, noise: noise, steps: steps)
            total = total + predict(adapted, task.queryInputs).logSoftmaxRows().exp()
        }
        let probabilities = total.scaled(by: 1 / Float(runs))
        return (probabilities, accuracy(logits: probabilities, labels: labels))
    }

    /// θ_K in model order: sample (or means), modulate, then `steps` inner steps (no meta-gradient).
    func adapt(layout: BaseNetworkLayout, parameters: Parameters, stepSizes: Parameters?, encoderParameters: Parameters?,
               task: FewShotTask, noise: BalancingNoise?, steps: Int) -> [Tensor] {
        let tape = Tape(recording: false)
        func constants(_ tensors: [Tensor]) -> [Variable] { tensors.map { tape.variable(Dual($0), needsGradient: false) } }
        let start = balancedStart(layout: layout, theta: constants(layout.adapted.map { parameters.tensors[$0] }),
                                  alpha: stepSizes.map { constants($0.tensors) },
                                  encoderParameters: encoderParameters.map { constants($0.tensors) },
                                  task: task, noise: noise)
        let support = losses(layout: layout, task: task).support
        let context = layout.context.map { parameters.tensors[$0] } + (start.omega.map { [$0.value] } ?? [])
        var theta = start.initialisation.map(\.value)
        let rates = start.stepSizes?.map(\.value)
        for _ in 0..<steps {
            let g = gradient(at: theta + context, in: support)
            for i in theta.indices {
                theta[i] = theta[i] - (rates.map { $0[i] * g[i] } ?? g[i].scaled(by: innerLearningRate))
            }
        }
        var result = parameters.tensors
        for (position, index) in layout.adapted.enumerated() { result[index] = theta[position] }
        return result
    }
}
