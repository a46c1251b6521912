// Bayesian TAML (Lee et al., ICLR 2020, l2b) for one task: the set encoder's posteriors, their
// samples, the modulated initialisation and step sizes, and the task's two losses.

import Autodiff
import NN

/// Bayesian TAML: MAML whose inner loop is balanced per task by variables inferred from the
/// support set (see methods.md §1 and `taskGradient`).
///
///     q(ω, γ, z | support) = SetEncoder(support; φ)       ω ~ q, γ ~ q, z ~ q  (or their means)
///     θ₀  = W ⊙ (1 + z_w), b + z_b on the convs; head = 0           (l2b default)
///     θₖ₊₁ = θₖ − α ⊙ exp(γ_layer) ⊙ ∇_θ Σ_c softmax(ω)_c · L_c      L_c = (Σ_{i∈c} ℓᵢ)·way/N
///     loss = L_query(θ_K) + KL(q ‖ N(0, I)) / (N + M)
///
/// Batch-norm offsets are meta-learned and not adapted; batch statistics are used everywhere.
public struct BayesianTAML<Model: FewShotModel>: Sendable {
    public var model: Model
    public var encoder: SetEncoder
    public var options: BalancingOptions
    public var innerSteps: Int
    /// The inner learning rate without α; the initial value of every α with it (l2b: 0.01).
    public var innerLearningRate: Float
    /// Drop the Hessian terms of the meta-gradient (not in l2b, which is second order throughout).
    public var firstOrder = false
    /// Second order: reuse the inner loop's primal values in the HVPs (see `MetaLearner.replaysPrimals`).
    public var replaysPrimals = true

    public init(model: Model, encoder: SetEncoder, options: BalancingOptions = .bayesianTAML,
                innerSteps: Int, innerLearningRate: Float) {
        self.model = model
        self.encoder = encoder
        self.options = options
        self.innerSteps = innerSteps
        self.innerLearningRate = innerLearningRate
    }

    /// The layout of θ, checked against the encoder.
    public func layout(of parameters: Parameters) throws(TAMLError) -> BaseNetworkLayout {
        let layout = try BaseNetworkLayout(parameters)
        if options.usesEncoder && (layout.convLayers != encoder.baseConvLayers || layout.filters != encoder.baseFilters) {
            throw .encoderMismatch("model \(layout.convLayers) conv layers × \(layout.filters) filters, encoder "
                                   + "\(encoder.baseConvLayers) × \(encoder.baseFilters)")
        }
        return layout
    }

    /// Checks that a task can be run: classification, every class present in the support set.
    public func validate(_ task: FewShotTask, parameters: Parameters) throws(TAMLError) {
        let layout = try layout(of: parameters)
        guard case .classes(let labels, let way) = task.supportTargets, case .classes = task.queryTargets
        else { throw .notClassification }
        if way != layout.way { throw .encoderMismatch("task has \(way) classes, the head \(layout.way)") }
        if let empty = (0..<way).first(where: { c in !labels.contains(Int32(c)) }) { throw .emptyClass(empty) }
    }

    /// α, all equal to `innerLearningRate`, named `alpha/<parameter>`; nil without α.
    public func initialStepSizes(for parameters: Parameters) throws(TAMLError) -> Parameters? {
        guard options.alpha else { return nil }
        let layout = try layout(of: parameters)
        let shapes = layout.stepSizeShapes(headStartsAtZero: options.headStartsAtZero)
        return Parameters(zip(layout.adapted, shapes).map { index, shape in
            ("alpha/" + parameters.names[index], Tensor(repeating: innerLearningRate, shape: shape))
        })
    }

    /// Fresh encoder parameters φ; nil when no balancing variable is on.
    public func initialEncoderParameters(using generator: inout some RandomNumberGenerator) -> Parameters? {
        options.usesEncoder ? encoder.initialParameters(using: &generator) : nil
    }
}

/// One task's balancing variables and what they change, as Variables on one tape.
struct BalancedStart {
    /// θ₀ in `layout.adapted` order.
    var initialisation: [Variable]
    /// Per-element step sizes s in `layout.adapted` order; nil = `innerLearningRate` everywhere.
    var stepSizes: [Variable]?
    /// The ω, γ, z used (samples or means), nil when off.
    var omega: Variable?
    var gamma: Variable?
    var z: Variable?
    /// Σ of the enabled variables' KL(q ‖ N(0, I)); nil for deterministic TAML or no encoder.
    var kl: Variable?
}

extension BayesianTAML {
    /// Encoder → posteriors → samples (noise given) or means (noise nil) → θ₀ and s.
    ///
    /// - Parameters:
    ///   - theta: the adapted parameters, in `layout.adapted` order.
    ///   - alpha: α in the same order, nil without α.
    ///   - encoderParameters: φ, nil without the encoder.
    func balancedStart(layout: BaseNetworkLayout, theta: [Variable], alpha: [Variable]?,
                       encoderParameters: [Variable]?, task: FewShotTask, noise: BalancingNoise?) -> BalancedStart {
        var omega: Variable?, gamma: Variable?, z: Variable?, kl: Variable?
        if options.usesEncoder, let phi = encoderParameters, case .classes(let labels, let way) = task.supportTargets {
            let q = encoder.posteriors(images: phi[0].constant(task.supportInputs), labels: labels, way: way,
                                       parameters: phi)
            let useNoise = options.bayesian ? noise : nil
            func draw(_ posterior: DiagonalNormal, _ epsilon: Tensor?) -> Variable {
                epsilon.map { posterior.sample(noise: $0) } ?? posterior.mean
            }
            var divergences: [Variable] = []
            if options.omega { omega = draw(q.omega, useNoise?.omega); divergences.append(q.omega.klDivergenceFromStandardNormal()) }
            if options.gamma { gamma = draw(q.gamma, useNoise?.gamma); divergences.append(q.gamma.klDivergenceFromStandardNormal()) }
            if options.z { z = draw(q.z, useNoise?.z); divergences.append(q.z.klDivergenceFromStandardNormal()) }
            if options.bayesian { kl = divergences.summed() }
        }
        return BalancedStart(
            initialisation: layout.initialisation(theta: theta, z: z, headStartsAtZero: options.headStartsAtZero),
            stepSizes: layout.stepSizes(alpha: alpha, gamma: gamma, learningRate: innerLearningRate,
                                        headStartsAtZero: options.headStartsAtZero),
            omega: omega, gamma: gamma, z: z, kl: kl)
    }

    /// The support and query losses as functions of (adapted θ ++ batch-norm parameters ++ [ω]).
    /// Support: `classBalancedLoss` with ω, the mean cross-entropy without. Query: the mean.
    func losses(layout: BaseNetworkLayout, task: FewShotTask,
                queryRecorder: OutputRecorder? = nil) -> (support: ScalarFunction, query: ScalarFunction) {
        let model = self.model, order = layout.adapted + layout.context, useOmega = options.omega
        func loss(_ inputs: Tensor, _ targets: Targets, weighted: Bool, recorder: OutputRecorder?) -> ScalarFunction {
            { p in
                var original = p
                for (position, index) in order.enumerated() { original[index] = p[position] }
                let logits = model.predict(p[0].constant(inputs), parameters: Array(original.prefix(order.count)))
                recorder?.outputs = logits.value
                if weighted, case .classes(let labels, let way) = targets {
                    return classBalancedLoss(logits: logits, labels: labels, way: way, omega: p[order.count])
                }
                return taskLoss(logits, targets, reduction: .mean)
            }
        }
        return (loss(task.supportInputs, task.supportTargets, weighted: useOmega, recorder: nil),
                loss(task.queryInputs, task.queryTargets, weighted: false, recorder: queryRecorder))
    }

    /// Model outputs with the given base parameters (model order), no derivatives recorded.
    func predict(_ parameters: [Tensor], _ inputs: Tensor) -> Tensor {
        let tape = Tape(recording: false)
        let p = parameters.map { tape.variable(Dual($0), needsGradient: false) }
        return model.predict(tape.constant(inputs), parameters: p).value
    }
}
