// The meta-trainer: it learns, the method switch really changes the gradient (checked against
// closed forms on a linear model), Meta-SGD's α is learned, and NaN stops training cleanly.

import Autodiff
import MetaLearning
import NN
import Testing
import TestSupport

@Suite("Meta-trainer")
struct MetaTrainerTests {
    @Test("a few dozen meta-iterations lower the sinusoid meta-loss on held-out tasks")
    func learnsSinusoids() throws {
        let learner = MetaLearner(model: MLP(), method: .maml, innerSteps: 1, innerLearningRate: 0.01)
        var generator = TestGenerator(seed: 3)
        let heldOut = (0..<40).map { _ in sinusoidTask(shots: 10, queries: 20, using: &generator) }
        var trainer = MetaTrainer(learner: learner, parameters: initialParameters(MLP(), seed: 1), metaLearningRate: 0.01,
                                  taskStreamState: 11)
        var source = TestTaskSource(kind: .sinusoid, randomState: 0, shots: 10, queries: 10)
        func metaLoss() -> Double {
            learner.evaluate(parameters: trainer.state.parameters, stepSizes: nil, tasks: heldOut, steps: 1).perStep[1].loss.mean
        }
        let before = metaLoss()
        for _ in 0..<40 { _ = try trainer.step(drawingFrom: &source, metaBatchSize: 8) }
        let after = metaLoss()
        #expect(trainer.state.iteration == 40)
        #expect(trainer.state.optimizer.step == 40)
        #expect(after < 0.95 * before, "meta-loss \(before) → \(after)")
    }

    /// Linear model ŷ = w·x + b, MSE: everything has a closed form.
    /// L(θ) = mean(r²), r = w·x + b − y;  ∇L = 2·[mean(r·x), mean(r)];  H = 2·[[mean x², mean x], [mean x, 1]].
    struct LinearCase {
        let support: (x: [Double], y: [Double]) = ([1, -2, 0.5], [2, 1, -1])
        let query: (x: [Double], y: [Double]) = ([0.3, 1.5], [0.5, -0.7])
        let theta: [Double] = [0.7, -0.3]
        let alpha = 0.1

        func gradient(_ p: [Double], _ data: (x: [Double], y: [Double])) -> [Double] {
            let r = zip(data.x, data.y).map { p[0] * $0 + p[1] - $1 }
            let n = Double(r.count)
            return [2 * zip(r, data.x).map { $0 * $1 }.reduce(0, +) / n, 2 * r.reduce(0, +) / n]
        }
        var adapted: [Double] { zip(theta, gradient(theta, support)).map { $0 - alpha * $1 } }
        /// First-order MAML: ∇L_query(θ′).
        var firstOrder: [Double] { gradient(adapted, query) }
        /// MAML: (I − αH_support)·∇L_query(θ′).
        var secondOrder: [Double] {
            let g = firstOrder, n = Double(support.x.count)
            let meanX = support.x.reduce(0, +) / n, meanX2 = support.x.map { $0 * $0 }.reduce(0, +) / n
            return [g[0] - alpha * 2 * (meanX2 * g[0] + meanX * g[1]), g[1] - alpha * 2 * (meanX * g[0] + g[1])]
        }
        var task: FewShotTask {
            func column(_ v: [Double]) -> Tensor { Tensor(shape: [v.count, 1], scalars: v.map(Float.init)) }
            return FewShotTask(supportInputs: column(support.x), supportTargets: .values(column(support.y)),
                               queryInputs: column(query.x), queryTargets: .values(column(query.y)))
        }
        var parameters: Parameters {
            Parameters([("dense1/weights", Tensor(shape: [1, 1], scalars: [Float(theta[0])])),
                        ("dense1/bias", Tensor(shape: [1], scalars: [Float(theta[1])]))])
        }
    }

    @Test("maml and fomaml give different meta-gradients, each equal to its closed form", arguments: [MetaMethod.maml, .fomaml])
    func methodSwitch(method: MetaMethod) {
        let linear = LinearCase()
        let learner = MetaLearner(model: MLP(layerSizes: [1, 1]), method: method, innerSteps: 1,
                                  innerLearningRate: Float(linear.alpha))
        let result = learner.taskGradient(parameters: linear.parameters, stepSizes: nil, task: linear.task)
        let got = result.parameterGradient.map { Double($0.scalars[0]) }
        let expected = method.isFirstOrder ? linear.firstOrder : linear.secondOrder
        let other = method.isFirstOrder ? linear.secondOrder : linear.firstOrder
        #expect(relativeError(got, expected) < 1e-5, "\(method): \(got) vs closed form \(expected)")
        #expect(relativeError(got, other) > 1e-2, "\(method) must differ from the other order: \(got) vs \(other)")
        #expect(method.isFirstOrder == (method == .fomaml))
    }

    @Test("the query accuracy is that of θ_K (taken from the query loss's forward pass)",
          arguments: [MetaMethod.maml, .fomaml, .metasgd])
    func accuracyAtAdaptedParameters(method: MetaMethod) throws {
        // Support = query, so adapting changes what the query accuracy measures.
        let images = imbalancedImageTask(seed: 5), labels: [Int32] = [0, 1, 2, 0, 1, 2]
        let task = FewShotTask(supportInputs: images.queryInputs, supportTargets: .classes(labels, way: 3),
                               queryInputs: images.queryInputs, queryTargets: .classes(labels, way: 3))
        var generator = TestGenerator(seed: 4)
        let model = SmoothTinyNet()
        let parameters = model.initialParameters(using: &generator)
        let learner = MetaLearner(model: model, method: method, innerSteps: 3, innerLearningRate: 0.5)
        let alpha = learner.initialStepSizes(for: parameters)
        let result = learner.taskGradient(parameters: parameters, stepSizes: alpha, task: task)
        let trajectory = learner.adaptationTrajectory(parameters: parameters, stepSizes: alpha, task: task, steps: 3)
        let before = accuracy(logits: learner.predict(trajectory[0], task.queryInputs), labels: labels)
        let after = accuracy(logits: learner.predict(trajectory[3], task.queryInputs), labels: labels)
        #expect(before != after, "the fixture must tell θ_0 from θ_K apart")
        #expect(result.queryAccuracy == after)
    }

    @Test("Meta-SGD learns its per-element step sizes α; MAML has none")
    func metaSGDLearnsStepSizes() throws {
        let learner = MetaLearner(model: MLP(layerSizes: [1, 8, 1]), method: .metasgd, innerSteps: 1, innerLearningRate: 0.01)
        var trainer = MetaTrainer(learner: learner, parameters: initialParameters(learner.model, seed: 2),
                                  metaLearningRate: 0.001, taskStreamState: 5)
        let initial = try #require(trainer.state.stepSizes)
        #expect(initial.names == trainer.state.parameters.names.map { "alpha/" + $0 })
        #expect(initial.tensors.allSatisfy { $0.scalars.allSatisfy { $0 == 0.01 } })
        var source = TestTaskSource(kind: .sinusoid, randomState: 0)
        for _ in 0..<3 { _ = try trainer.step(drawingFrom: &source, metaBatchSize: 4) }
        let learned = try #require(trainer.state.stepSizes).tensors.flatMap(\.scalars)
        #expect(learned.contains { abs($0 - 0.01) > 1e-4 }, "α did not move")
        #expect(Set(learned).count > 1, "α should differ between elements")
        #expect(trainer.state.optimizer.firstMoments.count == 2 * trainer.state.parameters.count)

        let maml = MetaTrainer(learner: MetaLearner(model: learner.model, method: .maml, innerSteps: 1, innerLearningRate: 0.01),
                               parameters: trainer.state.parameters, metaLearningRate: 0.001, taskStreamState: 5)
        #expect(maml.state.stepSizes == nil)
    }

    @Test("a non-finite meta-loss stops the step with a clear error and leaves the state untouched")
    func nonFiniteStops() throws {
        let learner = MetaLearner(model: MLP(), method: .maml, innerSteps: 3, innerLearningRate: 1e30)
        var trainer = MetaTrainer(learner: learner, parameters: initialParameters(MLP(), seed: 4), metaLearningRate: 0.001,
                                  taskStreamState: 9)
        var source = TestTaskSource(kind: .sinusoid, randomState: 0)
        let before = trainer.state
        #expect(throws: TrainingError.self) { _ = try trainer.step(drawingFrom: &source, metaBatchSize: 2) }
        #expect(trainer.state == before)
        do {
            _ = try trainer.step(drawingFrom: &source, metaBatchSize: 2)
        } catch let error as TrainingError {
            guard case .nonFinite(let iteration, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(iteration == 1)
            #expect(error.description.contains("--inner-lr") && error.description.contains("--clip"))
        }
    }

    /// Clipping to 1e-9 (below Adam's ε = 1e-8) shrinks every step about tenfold.
    @Test("the clip value reaches Adam: clipped and unclipped runs differ")
    func clipping() throws {
        let learner = MetaLearner(model: MLP(layerSizes: [1, 8, 1]), method: .maml, innerSteps: 1, innerLearningRate: 0.01)
        var clipped = MetaTrainer(learner: learner, parameters: initialParameters(learner.model, seed: 6),
                                  metaLearningRate: 0.01, clipValue: 1e-9, taskStreamState: 1)
        var free = MetaTrainer(learner: learner, parameters: clipped.state.parameters, metaLearningRate: 0.01,
                               taskStreamState: 1)
        #expect(clipped.state.optimizer.clipValue == 1e-9)
        var sourceA = TestTaskSource(kind: .sinusoid, randomState: 0), sourceB = sourceA
        for _ in 0..<2 {
            _ = try clipped.step(drawingFrom: &sourceA, metaBatchSize: 4)
            _ = try free.step(drawingFrom: &sourceB, metaBatchSize: 4)
        }
        #expect(clipped.state.parameters != free.state.parameters)
    }
}
