// Bayesian TAML meta-training: one reparameterised sample per task, the averaged meta-gradient
// (TAMLMetaBatch.swift), then one Adam step over θ (with batch-norm offsets), α and the encoder φ,
// each gradient element clipped to [−3, 3] (l2b). Non-finite values leave the state untouched.

import Autodiff
import NN
import Randomness

/// Bayesian TAML with its training state (θ, α, φ, Adam, task stream), as `MetaTrainer` for MAML.
public struct TAMLTrainer<Model: FewShotModel>: MetaTraining, Sendable {
    public var learner: BayesianTAML<Model>
    public var state: TrainingState

    /// Resumes from a saved state.
    public init(learner: BayesianTAML<Model>, state: TrainingState) {
        precondition((state.stepSizes != nil) == learner.options.alpha,
                     "TAMLTrainer: step sizes must be present exactly when α is on")
        precondition((state.encoderParameters != nil) == learner.options.usesEncoder,
                     "TAMLTrainer: encoder parameters must be present exactly when ω, γ or z is on")
        self.learner = learner
        self.state = state
    }

    /// Starts at iteration 0 from θ, α = `innerLearningRate` everywhere (with α) and fresh φ.
    ///
    /// - Parameters:
    ///   - clipValue: element-wise clipping of the meta-gradient before Adam (l2b: 3).
    public init(learner: BayesianTAML<Model>, parameters: Parameters,
                using generator: inout some RandomNumberGenerator,
                metaLearningRate: Float, clipValue: Float? = 3, taskStreamState: UInt64) throws(TAMLError) {
        let alpha = try learner.initialStepSizes(for: parameters)
        self.init(learner: learner, state: TrainingState(
            iteration: 0, parameters: parameters, stepSizes: alpha,
            encoderParameters: learner.initialEncoderParameters(using: &generator),
            optimizer: Adam(learningRate: metaLearningRate, clipValue: clipValue), taskStreamState: taskStreamState))
    }

    /// One meta-iteration on `tasks` with the given sample noise (nil: posterior means):
    ///
    ///     g = (1/B) Σ_i ∇_(θ, α, φ) [ L_query_i + KL_i/(N_i + M_i) ]
    ///     (θ, α, φ) ← Adam((θ, α, φ), clip(g, ±c))
    ///
    /// - Throws: `TAMLError` for a task the model cannot run; `TrainingError.nonFinite` if the
    ///   loss, the gradient or the result is not finite. The state is then unchanged.
    public mutating func step(on tasks: [FewShotTask], noise: [BalancingNoise]?) throws -> IterationMetrics {
        let iteration = state.iteration + 1
        for task in tasks { try learner.validate(task, parameters: state.parameters) }
        let batch = learner.metaBatchGradient(parameters: state.parameters, stepSizes: state.stepSizes,
                                              encoderParameters: state.encoderParameters, tasks: tasks, noise: noise)
        guard batch.loss.isFinite else { throw TrainingError.nonFinite(iteration: iteration, quantity: "meta-loss") }
        let gradient = batch.parameterGradient + (batch.stepSizeGradient ?? []) + (batch.encoderGradient ?? [])
        guard gradient.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else {
            throw TrainingError.nonFinite(iteration: iteration, quantity: "meta-gradient")
        }
        let groups = [state.parameters.tensors, state.stepSizes?.tensors ?? [], state.encoderParameters?.tensors ?? []]
        var tensors = groups.flatMap { $0 }
        var optimizer = state.optimizer
        optimizer.update(&tensors, along: gradient)
        guard tensors.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else {
            throw TrainingError.nonFinite(iteration: iteration, quantity: "parameter after the Adam step")
        }
        let (thetaCount, alphaCount) = (groups[0].count, groups[1].count)
        state.parameters.tensors = Array(tensors.prefix(thetaCount))
        if state.stepSizes != nil { state.stepSizes!.tensors = Array(tensors[thetaCount..<(thetaCount + alphaCount)]) }
        if state.encoderParameters != nil { state.encoderParameters!.tensors = Array(tensors.dropFirst(thetaCount + alphaCount)) }
        state.optimizer = optimizer
        state.iteration = iteration
        return IterationMetrics(iteration: iteration, queryLoss: batch.queryLoss, queryAccuracy: batch.queryAccuracy,
                                klTerm: batch.klTerm)
    }

    /// Draws the next meta-batch from `source` and one noise vector per task, then steps on them.
    /// The noise comes from a generator seeded by the task-stream state before the draw, so a
    /// resumed run repeats the very samples of an uninterrupted one.
    public mutating func step(drawingFrom source: inout some TaskSource, metaBatchSize: Int) throws -> IterationMetrics {
        source.randomState = state.taskStreamState
        var generator = SplitMix64(state: state.taskStreamState ^ 0xA5A5_5A5A_C3C3_3C3C)
        let tasks = source.nextMetaBatch(metaBatchSize)
        let drawsNoise = learner.options.bayesian && learner.options.usesEncoder
        let noise = drawsNoise ? tasks.map { task in
            BalancingNoise.draw(way: task.queryTargets.way, encoder: learner.encoder, using: &generator)
        } : nil
        let metrics = try step(on: tasks, noise: noise)
        state.taskStreamState = source.randomState
        return metrics
    }
}
