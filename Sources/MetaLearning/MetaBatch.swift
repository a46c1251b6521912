// A meta-batch: the tasks run in parallel on the cores and their gradients are summed in task
// order, so the result is bit-identical whatever the number of threads.

import Autodiff
import Kernels
import NN

/// The averaged meta-gradient of a meta-batch.
public struct MetaBatchGradient: Sendable {
    /// Mean query loss over the tasks.
    public var queryLoss: Float
    /// Mean query accuracy (classification), nil for regression.
    public var queryAccuracy: Float?
    /// Mean of the task meta-gradients, in the order of `Parameters`.
    public var parameterGradient: [Tensor]
    /// Mean Meta-SGD step-size gradient, or nil.
    public var stepSizeGradient: [Tensor]?
}

extension MetaLearner {
    /// Meta-gradients of all `tasks`, computed in parallel, averaged in a fixed order.
    public func metaBatchGradient(parameters: Parameters, stepSizes: Parameters?, tasks: [FewShotTask]) -> MetaBatchGradient {
        precondition(!tasks.isEmpty, "metaBatchGradient: empty meta-batch")
        let learner = self
        let all = parallelMap(tasks.count) { index in
            learner.taskGradient(parameters: parameters, stepSizes: stepSizes, task: tasks[index])
        }
        let scale = 1 / Float(tasks.count)
        let mean = { (lists: [[Tensor]]) in meanInOrder(lists) }
        let accuracies = all.compactMap(\.queryAccuracy)
        return MetaBatchGradient(
            queryLoss: all.reduce(0) { $0 + $1.queryLoss } * scale,
            queryAccuracy: accuracies.isEmpty ? nil : accuracies.reduce(0, +) * scale,
            parameterGradient: mean(all.map(\.parameterGradient)),
            stepSizeGradient: stepSizes == nil ? nil : mean(all.map { $0.stepSizeGradient! }))
    }
}

/// The elementwise mean of lists of tensors, summed in list order (the same bits for any thread
/// count that produced the lists).
func meanInOrder(_ lists: [[Tensor]]) -> [Tensor] {
    var total = lists[0]
    for list in lists.dropFirst() {
        for i in total.indices {
            precondition(total[i].shape == list[i].shape, "meanInOrder: shapes \(total[i].shape) and \(list[i].shape)")
            total[i].scalars.withUnsafeMutableBufferPointer { sum in  // sum += list[i], the same adds as `+`
                list[i].scalars.withUnsafeBufferPointer { Kernels.add(UnsafeBufferPointer(sum), $0, into: sum) }
            }
        }
    }
    return total.map { $0.scaled(by: 1 / Float(lists.count)) }
}
