// The hand-derived MLP path against the generic autodiff path: gradient, Hessian-vector product
// and the meta-gradients of MAML, first-order MAML and Meta-SGD, on the sinusoid MLP and on an
// odd-sized MLP with several outputs.

import Autodiff
@testable import MetaLearning
import NN
import Testing
import TestSupport

@Suite("Hand-derived MLP")
struct HandDerivedMLPTests {
    /// A regression task for `sizes` with random inputs and targets, and θ drawn wide enough that
    /// some ReLUs are off.
    static func fixture(_ sizes: [Int], rows: Int, seed: UInt64) -> (Parameters, FewShotTask) {
        var generator = TestGenerator(seed: seed)
        let parameters = Parameters((1..<sizes.count).flatMap { l in [
            ("dense\(l)/weights", Tensor.randomNormal(shape: [sizes[l - 1], sizes[l]], standardDeviation: 0.6, using: &generator)),
            ("dense\(l)/bias", Tensor.randomNormal(shape: [sizes[l]], standardDeviation: 0.3, using: &generator)),
        ] })
        func values(_ columns: Int) -> Tensor {
            Tensor.randomUniform(shape: [rows, columns], in: -2...2, using: &generator)
        }
        let task = FewShotTask(supportInputs: values(sizes[0]), supportTargets: .values(values(sizes.last!)),
                               queryInputs: values(sizes[0]), queryTargets: .values(values(sizes.last!)))
        return (parameters, task)
    }

    static let shapes: [[Int]] = [[1, 40, 40, 1], [2, 7, 5, 3], [3, 4]]

    /// max |a − b| / max(1, max |b|) over all elements.
    func relativeError(_ a: [Tensor], _ b: [Tensor]) -> Float {
        let x = a.flatMap(\.scalars), y = b.flatMap(\.scalars)
        let scale = max(1, y.map(abs).max() ?? 0)
        return zip(x, y).map { abs($0 - $1) }.max()! / scale
    }

    @Test("gradient and Hessian-vector product equal the autodiff engine's", arguments: shapes)
    func gradientAndHessianVector(sizes: [Int]) {
        let (parameters, task) = Self.fixture(sizes, rows: 10, seed: 5)
        guard case .values(let targets) = task.supportTargets else { return }
        var generator = TestGenerator(seed: 9)
        let direction = parameters.tensors.map { Tensor.randomNormal(shape: $0.shape, standardDeviation: 1, using: &generator) }
        let loss: ScalarFunction = { p in  // Σ over outputs, mean over rows: the task loss of regression
            taskLoss(MLP(layerSizes: sizes)(p[0].constant(task.supportInputs), parameters: p), .values(targets), reduction: .mean)
        }
        let engine = hessianVectorProduct(at: parameters.tensors, along: direction, in: loss)
        let mlp = HandDerivedMLP(sizes: sizes), arena = FloatArena()
        let theta = arena.flat(parameters.tensors)
        let pass = mlp.pass(theta, inputs: arena.flat([task.supportInputs]), targets: arena.flat([targets]), rows: 10, arena: arena)
        let hv = Array(mlp.hessianVector(theta, at: pass, along: arena.flat(direction), arena: arena))
        let split = { (flat: [Float]) in [Tensor(shape: [flat.count], scalars: flat)] }
        #expect(abs(pass.loss - engine.value) <= 1e-5 * max(1, abs(engine.value)))
        #expect(relativeError(split(Array(pass.gradient)), split(engine.gradient.flatMap(\.scalars))) < 1e-5)
        #expect(relativeError(split(hv), split(engine.hessianVector.flatMap(\.scalars))) < 1e-4)
        #expect(hv.contains { $0 != 0 }, "a zero Hessian-vector product checks nothing")
    }

    @Test("meta-gradients of MAML, first-order MAML and Meta-SGD equal the generic path's",
          arguments: shapes, [MetaMethod.maml, .fomaml, .metasgd])
    func metaGradients(sizes: [Int], method: MetaMethod) {
        let (parameters, task) = Self.fixture(sizes, rows: 10, seed: 7)
        for steps in [0, 1, 2] {
            var learner = MetaLearner(model: MLP(layerSizes: sizes), method: method, innerSteps: steps, innerLearningRate: 0.05)
            var stepSizes = learner.initialStepSizes(for: parameters)
            if var rates = stepSizes {  // per-element rates that differ, so a transposed rate would show
                var generator = TestGenerator(seed: 11)
                rates.tensors = rates.tensors.map { Tensor.randomUniform(shape: $0.shape, in: 0.01...0.1, using: &generator) }
                stepSizes = rates
            }
            let fast = learner.taskGradient(parameters: parameters, stepSizes: stepSizes, task: task)
            learner.usesHandDerivedMLP = false
            let generic = learner.taskGradient(parameters: parameters, stepSizes: stepSizes, task: task)
            #expect(abs(fast.queryLoss - generic.queryLoss) <= 1e-5 * max(1, abs(generic.queryLoss)), "\(steps) steps")
            #expect(relativeError(fast.parameterGradient, generic.parameterGradient) < 2e-4, "\(steps) steps")
            #expect(fast.parameterGradient.map(\.shape) == parameters.tensors.map(\.shape))
            if let rates = generic.stepSizeGradient {
                #expect(relativeError(fast.stepSizeGradient ?? [], rates) < 2e-4, "\(steps) steps")
            } else {
                #expect(fast.stepSizeGradient == nil)
            }
        }
    }

    @Test("second order differs from first order here, so the comparison above tells them apart")
    func ordersDiffer() {
        let (parameters, task) = Self.fixture([1, 40, 40, 1], rows: 10, seed: 7)
        let second = MetaLearner(model: MLP(), method: .maml, innerSteps: 1, innerLearningRate: 0.05)
        let first = MetaLearner(model: MLP(), method: .fomaml, innerSteps: 1, innerLearningRate: 0.05)
        let a = second.taskGradient(parameters: parameters, stepSizes: nil, task: task).parameterGradient
        let b = first.taskGradient(parameters: parameters, stepSizes: nil, task: task).parameterGradient
        #expect(relativeError(a, b) > 1e-2)
    }

    @Test("classification tasks and mismatched shapes take the generic path")
    func fallsBack() {
        let (parameters, task) = Self.fixture([2, 7, 5, 3], rows: 4, seed: 3)
        let learner = MetaLearner(model: MLP(layerSizes: [2, 7, 5, 3]), method: .maml, innerSteps: 1, innerLearningRate: 0.05)
        let classes = FewShotTask(supportInputs: task.supportInputs, supportTargets: .classes([0, 1, 2, 0], way: 3),
                                  queryInputs: task.queryInputs, queryTargets: .classes([1, 2, 0, 1], way: 3))
        #expect(learner.handDerivedTaskGradient(MLP(layerSizes: [2, 7, 5, 3]), parameters: parameters, stepSizes: nil,
                                                task: classes) == nil)
        #expect(learner.handDerivedTaskGradient(MLP(layerSizes: [2, 7, 5, 2]), parameters: parameters, stepSizes: nil,
                                                task: task) == nil)
        #expect(learner.taskGradient(parameters: parameters, stepSizes: nil, task: classes).queryAccuracy != nil)
    }

    @Test("the arena's buffers never overlap, across chunks and for requests larger than a chunk")
    func arenaBuffersAreDisjoint() {
        let arena = FloatArena(chunkSize: 16)
        let sizes = [5, 7, 4, 40, 1, 16, 3]
        let buffers = sizes.enumerated().map { index, count in
            let buffer = arena.zeros(count)
            #expect(buffer.allSatisfy { $0 == 0 })
            buffer.update(repeating: Float(index + 1))
            return buffer
        }
        for (index, buffer) in buffers.enumerated() {
            #expect(buffer.count == sizes[index])
            #expect(buffer.allSatisfy { $0 == Float(index + 1) }, "buffer \(index) was overwritten")
        }
    }
}
