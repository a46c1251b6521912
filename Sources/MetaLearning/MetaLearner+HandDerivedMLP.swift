// `MetaLearner.taskGradient` for MLP regression tasks, through `HandDerivedMLP`.

import Autodiff
import NN

extension MetaLearner {
    /// The task gradient of an MLP on a regression task, or nil when the task is not one
    /// (classification targets, or inputs and targets that do not match the layer sizes) or the
    /// MLP has batch norm (which `HandDerivedMLP` does not derive).
    func handDerivedTaskGradient(_ mlp: MLP, parameters: Parameters, stepSizes: Parameters?,
                                 task: FewShotTask) -> TaskGradient? {
        let sizes = mlp.layerSizes
        guard !mlp.batchNorm, case .values(let supportTargets) = task.supportTargets, case .values(let queryTargets) = task.queryTargets,
              task.supportInputs.shape == [supportTargets.shape[0], sizes[0]],
              task.queryInputs.shape == [queryTargets.shape[0], sizes[0]],
              supportTargets.shape.dropFirst() == [sizes.last!], queryTargets.shape.dropFirst() == [sizes.last!],
              parameters.tensors.count == 2 * (sizes.count - 1) else { return nil }
        let arena = FloatArena()
        let mlp = HandDerivedMLP(sizes: sizes)
        let result = mlp.metaGradient(
            at: arena.flat(parameters.tensors), stepSizes: stepSizes.map { arena.flat($0.tensors) }, alpha: innerLearningRate,
            support: RegressionSet(inputs: arena.flat([task.supportInputs]), targets: arena.flat([supportTargets]),
                                   rows: supportTargets.shape[0]),
            query: RegressionSet(inputs: arena.flat([task.queryInputs]), targets: arena.flat([queryTargets]),
                                 rows: queryTargets.shape[0]),
            innerSteps: innerSteps, firstOrder: firstOrder, arena: arena)
        /// A flat buffer cut into tensors of the parameters' shapes.
        func tensors(_ flat: FloatBuffer) -> [Tensor] {
            var start = 0
            return parameters.tensors.map { tensor in
                defer { start += tensor.count }
                return Tensor(shape: tensor.shape, scalars: Array(view(flat, start, tensor.count)))
            }
        }
        return TaskGradient(queryLoss: result.loss, queryAccuracy: nil, parameterGradient: tensors(result.gradient),
                            stepSizeGradient: stepSizes == nil ? nil : tensors(result.stepSizeGradient))
    }
}

extension FloatArena {
    /// The scalars of `tensors` one after another.
    func flat(_ tensors: [Tensor]) -> FloatBuffer {
        let out = take(tensors.reduce(0) { $0 + $1.count })
        var start = 0
        for tensor in tensors {
            _ = view(out, start, tensor.count).update(fromContentsOf: tensor.scalars)
            start += tensor.count
        }
        return out
    }
}
