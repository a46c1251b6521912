// MAML, first-order MAML and Meta-SGD for one task: which parameters adapt, with which step
// sizes, and the meta-gradient of the query loss after adaptation (see MetaGradient.swift).

import Autodiff
import NN

/// The meta-learning algorithm.
public enum MetaMethod: String, Sendable, Codable, CaseIterable {
    /// MAML with the exact second-order meta-gradient (Finn et al. 2017).
    case maml
    /// First-order MAML: the Hessian terms are dropped.
    case fomaml
    /// Meta-SGD: a learned step size per parameter element, learned with θ (Li et al. 2017).
    case metasgd
    /// Bayesian TAML (Lee et al. 2020, l2b): trained by `TAMLTrainer` with a `BayesianTAML`,
    /// not by `MetaLearner` (which would run it as plain MAML).
    case taml

    public var isFirstOrder: Bool { self == .fomaml }
    public var learnsStepSizes: Bool { self == .metasgd }
}

/// What batch norm does, recorded with every result because it changes the numbers.
public enum BatchNormPolicy: String, Sendable, Codable, CaseIterable {
    /// Batch statistics of the current batch (support in the inner loop, query for the meta-loss)
    /// at training and at test; offsets (and scales) meta-learned but not adapted. cbfinn/maml and l2b.
    case transductive
    /// Batch statistics, with the batch-norm parameters adapted in the inner loop like all others
    /// (learn2learn's and PyTorch's usual setting; the W benchmarks).
    case transductiveAdapted
}

/// One task's contribution to the meta-gradient.
public struct TaskGradient: Sendable {
    public var queryLoss: Float
    /// Query accuracy after adaptation (classification), nil for regression.
    public var queryAccuracy: Float?
    /// dL_query/dθ for every parameter, in the order of `Parameters`.
    public var parameterGradient: [Tensor]
    /// dL_query/dα for Meta-SGD (one tensor per adapted parameter), nil otherwise.
    public var stepSizeGradient: [Tensor]?
}

/// A meta-learner: a model, an algorithm and its inner-loop settings.
public struct MetaLearner<Model: FewShotModel>: Sendable {
    public var model: Model
    public var method: MetaMethod
    public var innerSteps: Int
    /// α: the inner learning rate (MAML), or the initial step size (Meta-SGD).
    public var innerLearningRate: Float
    public var reduction: LossReduction
    public var batchNormPolicy: BatchNormPolicy
    /// Drop the Hessian terms of the meta-gradient. True for `.fomaml`; may also be set for
    /// first-order Meta-SGD (α still gets its gradient, which needs no Hessian).
    public var firstOrder: Bool
    /// Compute MLP regression tasks with `HandDerivedMLP` (same quantities, no tape); false runs them
    /// through the generic autodiff path like every other model.
    public var usesHandDerivedMLP = true
    /// Second order: let each inner step's Hessian-vector product reuse the primal values of the
    /// inner loop's gradient at the same θₖ (`PrimalRecord`): the same bits, less work (W3: about
    /// −24 %), and the K passes' values held in memory until the adjoint loop uses them.
    public var replaysPrimals = true

    public init(model: Model, method: MetaMethod, innerSteps: Int, innerLearningRate: Float,
                reduction: LossReduction = .mean, batchNormPolicy: BatchNormPolicy = .transductive) {
        self.model = model
        self.method = method
        self.innerSteps = innerSteps
        self.innerLearningRate = innerLearningRate
        self.reduction = reduction
        self.batchNormPolicy = batchNormPolicy
        self.firstOrder = method.isFirstOrder
    }

    /// Whether the inner loop changes the parameter called `name`.
    public func isAdapted(_ name: String) -> Bool {
        batchNormPolicy == .transductiveAdapted || !name.hasPrefix("bn")
    }

    /// Meta-SGD's initial step sizes: α everywhere, one tensor per adapted parameter; nil otherwise.
    public func initialStepSizes(for parameters: Parameters) -> Parameters? {
        guard method.learnsStepSizes else { return nil }
        let adapted = parameters.names.indices.filter { isAdapted(parameters.names[$0]) }
        return Parameters(adapted.map { ("alpha/" + parameters.names[$0],
                                         Tensor(repeating: innerLearningRate, shape: parameters.tensors[$0].shape)) })
    }

    /// Indices of the adapted parameters, then of the others (the order the losses take them in).
    func partition(_ parameters: Parameters) -> (adapted: [Int], context: [Int]) {
        let adapted = parameters.names.indices.filter { isAdapted(parameters.names[$0]) }
        return (adapted, parameters.names.indices.filter { !isAdapted(parameters.names[$0]) })
    }

    /// The task loss on (inputs, targets) as a function of (adapted θ ++ context φ); `recorder`
    /// keeps the model outputs of its last evaluation.
    func loss(inputs: Tensor, targets: Targets, order: [Int], recorder: OutputRecorder? = nil) -> ScalarFunction {
        let model = self.model, reduction = self.reduction
        let shots = max(1, targets.count / max(1, targets.way))
        return { p in
            var original = p
            for (position, index) in order.enumerated() { original[index] = p[position] }
            let outputs = model.predict(p[0].constant(inputs), parameters: original)
            recorder?.outputs = outputs.value
            return taskLoss(outputs, targets, reduction: reduction, shotsPerClass: shots)
        }
    }

    /// The meta-gradient of one task: adapt on the support set, evaluate on the query set,
    /// differentiate through the adaptation (second order unless first-order MAML).
    public func taskGradient(parameters: Parameters, stepSizes: Parameters?, task: FewShotTask) -> TaskGradient {
        if usesHandDerivedMLP, let mlp = model as? MLP,
           let result = handDerivedTaskGradient(mlp, parameters: parameters, stepSizes: stepSizes, task: task) {
            return result
        }
        let (adapted, context) = partition(parameters)
        let order = adapted + context
        let steps: StepSizes = stepSizes.map { .perElement($0.tensors) } ?? .uniform(innerLearningRate)
        let queryOutputs = OutputRecorder()  // metaGradient evaluates the query loss once, at θ_K
        let result = metaGradient(
            at: adapted.map { parameters.tensors[$0] }, context: context.map { parameters.tensors[$0] },
            supportLoss: loss(inputs: task.supportInputs, targets: task.supportTargets, order: order),
            queryLoss: loss(inputs: task.queryInputs, targets: task.queryTargets, order: order, recorder: queryOutputs),
            stepSizes: steps, innerSteps: innerSteps, firstOrder: firstOrder, replaysPrimals: replaysPrimals)
        var gradient = parameters.tensors
        for (position, index) in order.enumerated() {
            gradient[index] = position < adapted.count ? result.gradient[position]
                : result.contextGradient[position - adapted.count]
        }
        var accuracyValue: Float? = nil
        if case .classes(let labels, _) = task.queryTargets, let logits = queryOutputs.outputs {
            accuracyValue = accuracy(logits: logits, labels: labels)
        }
        return TaskGradient(queryLoss: result.queryLoss, queryAccuracy: accuracyValue, parameterGradient: gradient,
                            stepSizeGradient: stepSizes == nil ? nil : result.stepSizeGradient)
    }

    /// The parameters after each of `steps` inner steps on the support set (index 0 = θ).
    public func adaptationTrajectory(parameters: Parameters, stepSizes: Parameters?, task: FewShotTask,
                                     steps: Int) -> [Parameters] {
        let (adapted, context) = partition(parameters)
        let support = loss(inputs: task.supportInputs, targets: task.supportTargets, order: adapted + context)
        var trajectory = [parameters]
        var current = parameters
        for _ in 0..<steps {
            let g = gradient(at: (adapted + context).map { current.tensors[$0] }, in: support)
            for (position, index) in adapted.enumerated() {
                let step = stepSizes.map { $0.tensors[position] * g[position] } ?? g[position].scaled(by: innerLearningRate)
                current.tensors[index] = current.tensors[index] - step
            }
            trajectory.append(current)
        }
        return trajectory
    }

    /// Model outputs for `inputs` with the given parameters (no derivatives recorded).
    public func predict(_ parameters: Parameters, _ inputs: Tensor) -> Tensor {
        let tape = Tape(recording: false)
        let p = parameters.tensors.map { tape.variable(Dual($0), needsGradient: false) }
        return model.predict(tape.constant(inputs), parameters: p).value
    }
}

extension Targets {
    /// Number of classes (1 for regression).
    var way: Int {
        if case .classes(_, let way) = self { return way }
        return 1
    }
}
