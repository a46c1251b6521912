// `MetaLearner.taskGradient` for MLP regression tasks, through `HandDerivedMLP`.

import Autodiff
import NN

extension MetaLearner {
    /// The task gradient of an MLP on a regression task, or nil when the task is not one
    /// (classification targets, or inputs and targets that do not match the layer sizes).
    func handDerivedTaskGradient(_ mlp: MLP, parameters: Parameters, stepSizes: Parameters?,
                                 task: FewShotTask) -> TaskGradient? {
        let sizes = mlp.layerSizes
        guard case .values(let supportTargets) = task.supportTargets, case .values(let queryTargets) = task.queryTargets,
              task.supportInputs.shape == [supportTargets.shape[0], sizes[0]],
              task.queryInputs.shape == [queryTargets.shape[0], sizes[0]],
              supportTargets.shape.dropFirst() == [sizes.last!], queryTargets.shape.dropFirst() == [sizes.last!],
              parameters.tensors.count == 2 * (sizes.count - 1) else { return nil }
        let result = HandDerivedMLP(sizes: sizes).metaGradient(
            at: parameters.tensors.flatMap(\.scalars), stepSizes: stepSizes?.tensors.flatMap(\.scalars), alpha: innerLearningRate,
            support: (task.supportInputs.scalars, supportTargets.scalars, supportTargets.shape[0]),
            query: (task.queryInputs.scalars, queryTargets.scalars, queryTargets.shape[0]),
            innerSteps: innerSteps, firstOrder: firstOrder)
        /// A flat array cut into tensors of the parameters' shapes.
        func tensors(_ flat: [Float]) -> [Tensor] {
            var start = 0
            return parameters.tensors.map { tensor in
                defer { start += tensor.count }
                return Tensor(shape: tensor.shape, scalars: Array(flat[start..<(start + tensor.count)]))
            }
        }
        return TaskGradient(queryLoss: result.loss, queryAccuracy: nil, parameterGradient: tensors(result.gradient),
                            stepSizeGradient: stepSizes == nil ? nil : tensors(result.stepSizeGradient))
    }
}
