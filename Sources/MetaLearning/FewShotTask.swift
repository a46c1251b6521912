// One task as tensors: a support set to adapt on and a query set to evaluate on.
// The Datasets module produces episodes; the CLI turns them into FewShotTask.

import Autodiff

/// What a task asks the model to predict.
public enum Targets: Sendable, Equatable {
    /// Class labels 0..<way, one per example (classification, cross-entropy).
    case classes([Int32], way: Int)
    /// Real values `[count, outputs]` (regression, mean squared error).
    case values(Tensor)

    public var count: Int {
        switch self {
        case .classes(let labels, _): return labels.count
        case .values(let tensor): return tensor.shape[0]
        }
    }
}

/// A few-shot task: support (inputs, targets) for the inner loop, query for the meta-loss.
public struct FewShotTask: Sendable {
    /// `[supportCount, ...]`, e.g. images `[n, h, w, c]` or points `[n, 1]`.
    public var supportInputs: Tensor
    public var supportTargets: Targets
    public var queryInputs: Tensor
    public var queryTargets: Targets

    public init(supportInputs: Tensor, supportTargets: Targets, queryInputs: Tensor, queryTargets: Targets) {
        precondition(supportInputs.shape.first == supportTargets.count && queryInputs.shape.first == queryTargets.count,
                     "FewShotTask: inputs \(supportInputs.shape) / \(queryInputs.shape) do not match the target counts")
        self.supportInputs = supportInputs
        self.supportTargets = supportTargets
        self.queryInputs = queryInputs
        self.queryTargets = queryTargets
    }
}
