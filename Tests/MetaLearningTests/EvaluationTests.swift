// Evaluation: the confidence interval formula, per-step scores that match direct computation,
// and the run directory's JSON-lines log and SVG plots.

import Autodiff
import Foundation
import MetaLearning
import NN
import Testing
import TestSupport

@Suite("Evaluation, logs and plots")
struct EvaluationTests {
    @Test("mean ± 1.96·std/√n with the population standard deviation")
    func confidenceInterval() {
        let summary = MeanWithInterval([1, 2, 3, 4])
        #expect(summary.mean == 2.5)
        #expect(abs(summary.standardDeviation - 1.25.squareRoot()) < 1e-12)
        #expect(abs(summary.ci95 - 1.96 * 1.25.squareRoot() / 2) < 1e-12)
        #expect(summary.count == 4)
        #expect(MeanWithInterval([7]).ci95 == 0)
    }

    @Test("step k scores the k-th point of the adaptation trajectory (regression: MSE over query points)")
    func regressionSteps() {
        let learner = MetaLearner(model: MLP(layerSizes: [1, 8, 1]), method: .maml, innerSteps: 1, innerLearningRate: 0.05)
        let parameters = initialParameters(learner.model, seed: 5)
        var generator = TestGenerator(seed: 1)
        let tasks = (0..<3).map { _ in sinusoidTask(shots: 5, queries: 7, using: &generator) }
        let result = learner.evaluate(parameters: parameters, stepSizes: nil, tasks: tasks, steps: 3)
        #expect(result.perStep.map(\.steps) == [0, 1, 2, 3] && result.episodes == 3)
        #expect(result.perStep.allSatisfy { $0.accuracy == nil })
        for k in [0, 3] {
            let direct = tasks.map { task -> Double in
                let adapted = learner.adaptationTrajectory(parameters: parameters, stepSizes: nil, task: task, steps: 3)[k]
                guard case .values(let y) = task.queryTargets else { return .nan }
                let prediction = learner.predict(adapted, task.queryInputs).scalars
                return zip(prediction, y.scalars).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / 7
            }
            #expect(abs(result.perStep[k].loss.mean - direct.reduce(0, +) / 3) < 1e-9)
        }
        #expect(result.perStep[3].loss.mean < result.perStep[0].loss.mean, "adaptation should lower the query MSE")
    }

    @Test("a diverging inner loop is counted, never hidden: the mean is not finite and JSON still encodes")
    func divergence() throws {
        let learner = MetaLearner(model: MLP(layerSizes: [1, 8, 1]), method: .maml, innerSteps: 1, innerLearningRate: 1e4)
        var generator = TestGenerator(seed: 4)
        let tasks = (0..<3).map { _ in sinusoidTask(shots: 5, queries: 5, using: &generator) }
        let result = learner.evaluate(parameters: initialParameters(learner.model, seed: 1), stepSizes: nil, tasks: tasks,
                                      steps: 6)
        #expect(result.perStep[0].divergedEpisodes == 0 && result.perStep[0].loss.mean.isFinite)
        #expect(result.final.divergedEpisodes == 3)
        #expect(!result.final.loss.mean.isFinite)
        let text = String(decoding: try JSONEncoder.metalearn().encode(result), as: UTF8.self)
        #expect(text.contains("\"NaN\"") || text.contains("\"Infinity\""))
        let decoded = try JSONDecoder.metalearn().decode(EvaluationResult.self, from: Data(text.utf8))
        #expect(decoded.final.divergedEpisodes == 3)
    }

    @Test("classification reports accuracy in [0, 1] and cross-entropy per step")
    func classificationSteps() {
        let learner = MetaLearner(model: tinyConvNet, method: .maml, innerSteps: 1, innerLearningRate: 0.5,
                                  reduction: .sumOverShots)
        var generator = TestGenerator(seed: 2)
        let tasks = (0..<4).map { _ in imageTask(shots: 1, queries: 3, using: &generator) }
        let result = learner.evaluate(parameters: initialParameters(tinyConvNet, seed: 1), stepSizes: nil, tasks: tasks, steps: 2)
        for step in result.perStep {
            let accuracy = step.accuracy!
            #expect(accuracy.mean >= 0 && accuracy.mean <= 1)
            // 6 query images per task: every per-task accuracy is a multiple of 1/6.
            #expect(abs(accuracy.mean * 24 - (accuracy.mean * 24).rounded()) < 1e-4)
            #expect(step.loss.mean > 0)
        }
    }

    @Test("log.jsonl appends, reads back and truncates after an iteration")
    func runLog() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = RunDirectory(url: directory)
        try run.appendLog((1...5).map { LogRecord(event: "train", iteration: $0, loss: Double($0), seconds: 0) })
        try run.appendLog([LogRecord(event: "validation", iteration: 5, loss: 0.5, accuracy: 0.9, ci95: 0.01, steps: 10,
                                     seconds: 1)])
        #expect(run.readLog().count == 6 && run.readLog().last?.accuracy == 0.9)
        try run.truncateLog(after: 3)
        #expect(run.readLog().map(\.iteration) == [1, 2, 3])
        let text = try String(contentsOf: run.logURL, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 3 && text.hasPrefix("{\"event\":\"train\""))
    }

    @Test("SVG plots: round ticks, every series drawn, text escaped")
    func svgPlot() {
        var plot = SVGPlot(title: "loss < 1 & falling", xLabel: "iteration", yLabel: "mse")
        plot.series.append(.init(name: "train", points: [(0, 3.2), (50, 1.1), (100, 0.4)], color: "#1f77b4"))
        plot.series.append(.init(name: "points", points: [(10, 2), (20, .nan)], color: "#000", style: .points))
        let svg = plot.render()
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("<polyline") && svg.components(separatedBy: "<circle").count == 3)  // 1 point + 1 legend dot
        #expect(svg.contains("loss &lt; 1 &amp; falling"))
        #expect(svg.contains(">100<") && svg.contains(">4<") && svg.contains(">0<"))  // x: 0…100, y: 0…4
    }
}
