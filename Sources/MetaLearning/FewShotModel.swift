// The models a meta-learner can adapt: functions of passed-in parameters.

import Autodiff
import NN

/// A network whose forward pass takes its parameters as arguments.
public protocol FewShotModel: Sendable {
    /// Fresh meta-parameters θ.
    func initialParameters(using generator: inout some RandomNumberGenerator) -> Parameters
    /// Predictions (logits or values) `[batch, outputs]` for inputs `[batch, ...]`, with the
    /// parameters in the order of `initialParameters`.
    func predict(_ inputs: Variable, parameters: [Variable]) -> Variable
}

extension ConvNet4: FewShotModel {
    public func predict(_ inputs: Variable, parameters: [Variable]) -> Variable {
        logits(inputs, parameters: parameters)
    }
}

extension MLP: FewShotModel {
    public func predict(_ inputs: Variable, parameters: [Variable]) -> Variable {
        self(inputs, parameters: parameters)
    }
}
