// One meta-iteration: the averaged meta-gradient of a meta-batch (MetaBatch.swift), then one Adam
// step on θ and, for Meta-SGD, on the learned step sizes α. Non-finite values stop training
// with a clear error and leave the state untouched, so the last good state can be saved.

import Autodiff
import NN

/// Everything that changes during meta-training. A checkpoint stores exactly this, so a resumed
/// run continues bit for bit.
public struct TrainingState: Sendable, Equatable {
    /// Completed meta-iterations.
    public var iteration: Int
    /// θ: the meta-learned initialization (and the batch-norm offsets the inner loop leaves alone).
    public var parameters: Parameters
    /// α: Meta-SGD's learned per-element step sizes (names "alpha/<θ name>"); nil otherwise.
    public var stepSizes: Parameters?
    /// φ: Bayesian TAML's set-encoder parameters (names "encoder/…"); nil otherwise.
    public var encoderParameters: Parameters?
    /// The outer Adam over θ's tensors followed by α's (then φ's for Bayesian TAML). Adam works element by element, so one
    /// optimizer over both is the same as one per group (l2b uses one over all variables).
    public var optimizer: Adam
    /// Where the training-task stream stands (see `TaskSource`).
    public var taskStreamState: UInt64

    public init(iteration: Int, parameters: Parameters, stepSizes: Parameters?, encoderParameters: Parameters? = nil,
                optimizer: Adam, taskStreamState: UInt64) {
        self.iteration = iteration
        self.parameters = parameters
        self.stepSizes = stepSizes
        self.encoderParameters = encoderParameters
        self.optimizer = optimizer
        self.taskStreamState = taskStreamState
    }
}

/// A seeded stream of training tasks whose whole position is one 64-bit state (a SplitMix64
/// state), so a checkpoint can store it and a resumed run draws the very tasks an uninterrupted
/// run would have drawn.
public protocol TaskSource {
    /// The stream's complete state.
    var randomState: UInt64 { get set }
    /// The next `count` tasks; advances `randomState`.
    mutating func nextMetaBatch(_ count: Int) -> [FewShotTask]
}

/// Metrics of one meta-iteration (on the query sets, after adaptation).
public struct IterationMetrics: Sendable, Equatable {
    /// The iteration just completed (1-based).
    public var iteration: Int
    public var queryLoss: Float
    /// Classification only.
    public var queryAccuracy: Float?
    /// Bayesian TAML: the mean KL(q ‖ N(0, I))/(N + M) added to the query loss; nil otherwise.
    public var klTerm: Float?

    public init(iteration: Int, queryLoss: Float, queryAccuracy: Float?, klTerm: Float? = nil) {
        self.iteration = iteration
        self.queryLoss = queryLoss
        self.queryAccuracy = queryAccuracy
        self.klTerm = klTerm
    }
}

/// Why training stopped.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A meta-loss, meta-gradient or updated parameter was NaN or infinite.
    case nonFinite(iteration: Int, quantity: String)

    public var description: String {
        switch self {
        case .nonFinite(let iteration, let quantity):
            return "meta-iteration \(iteration) produced a non-finite \(quantity) (NaN or infinity); the parameters "
                + "were not updated. Lower --inner-lr or --meta-lr, or clip the meta-gradient with --clip (e.g. 10)."
        }
    }
}

/// A meta-learner together with its training state.
public struct MetaTrainer<Model: FewShotModel>: Sendable {
    public var learner: MetaLearner<Model>
    public var state: TrainingState

    /// Resumes from a saved state.
    public init(learner: MetaLearner<Model>, state: TrainingState) {
        precondition((state.stepSizes != nil) == learner.method.learnsStepSizes,
                     "MetaTrainer: step sizes must be present exactly for Meta-SGD")
        self.learner = learner
        self.state = state
    }

    /// Starts from θ (and α = `innerLearningRate` everywhere for Meta-SGD) at iteration 0.
    ///
    /// - Parameters:
    ///   - metaLearningRate: β, Adam's step size.
    ///   - clipValue: clip each meta-gradient element to [−c, c] before Adam (nil: no clipping).
    ///   - taskStreamState: the initial state of the training-task stream.
    public init(learner: MetaLearner<Model>, parameters: Parameters, metaLearningRate: Float,
                clipValue: Float? = nil, taskStreamState: UInt64) {
        self.init(learner: learner, state: TrainingState(
            iteration: 0, parameters: parameters, stepSizes: learner.initialStepSizes(for: parameters),
            optimizer: Adam(learningRate: metaLearningRate, clipValue: clipValue), taskStreamState: taskStreamState))
    }

    /// One meta-iteration on `tasks` (the paper's Algorithm 2, lines 3-10):
    ///
    ///     g_θ = (1/B) Σ_i ∇_θ L_query_i(θ′_i),   θ′_i = θ − α ⊙ ∇_θ L_support_i(θ)  (K times)
    ///     g_α = (1/B) Σ_i ∇_α L_query_i(θ′_i)   (Meta-SGD only)
    ///     (θ, α) ← Adam((θ, α), (g_θ, g_α))
    ///
    /// - Throws: `TrainingError.nonFinite` if the loss, the gradient or the result is not finite;
    ///   the state is then unchanged.
    public mutating func step(on tasks: [FewShotTask]) throws -> IterationMetrics {
        let iteration = state.iteration + 1
        let batch = learner.metaBatchGradient(parameters: state.parameters, stepSizes: state.stepSizes, tasks: tasks)
        guard batch.queryLoss.isFinite else { throw TrainingError.nonFinite(iteration: iteration, quantity: "meta-loss") }
        let gradient = batch.parameterGradient + (batch.stepSizeGradient ?? [])
        guard gradient.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else {
            throw TrainingError.nonFinite(iteration: iteration, quantity: "meta-gradient")
        }
        var tensors = state.parameters.tensors + (state.stepSizes?.tensors ?? [])
        var optimizer = state.optimizer
        optimizer.update(&tensors, along: gradient)
        guard tensors.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else {
            throw TrainingError.nonFinite(iteration: iteration, quantity: "parameter after the Adam step")
        }
        let thetaCount = state.parameters.count
        state.parameters.tensors = Array(tensors.prefix(thetaCount))
        if state.stepSizes != nil { state.stepSizes!.tensors = Array(tensors.dropFirst(thetaCount)) }
        state.optimizer = optimizer
        state.iteration = iteration
        return IterationMetrics(iteration: iteration, queryLoss: batch.queryLoss, queryAccuracy: batch.queryAccuracy)
    }

    /// Draws the next meta-batch from `source` (continuing from `state.taskStreamState`) and
    /// takes one step on it.
    public mutating func step(drawingFrom source: inout some TaskSource, metaBatchSize: Int) throws -> IterationMetrics {
        source.randomState = state.taskStreamState
        let tasks = source.nextMetaBatch(metaBatchSize)
        let metrics = try step(on: tasks)
        state.taskStreamState = source.randomState
        return metrics
    }
}
