// The run's SVG pictures: learning curves from log.jsonl, and for sinusoids MAML-tf's --draw
// picture (the true curve, the K support points, predictions after 0, 1 and 10 inner steps).

import Autodiff
import Datasets
import Foundation
import MetaLearning
import NN

enum Figures {
    /// learning-curve.svg (query loss), and learning-curve-accuracy.svg for classification.
    static func writeLearningCurves(_ run: RunDirectory, regression: Bool) throws {
        let log = run.readLog()
        let train = log.filter { $0.event == "train" }, validation = log.filter { $0.event == "validation" }
        guard !train.isEmpty else { return }
        let validationName = "validation, \(validation.last?.steps ?? 0) steps"
        var loss = SVGPlot(title: "Meta-training: query loss after adaptation", xLabel: "meta-iteration",
                           yLabel: regression ? "mean squared error" : "cross-entropy")
        loss.series.append(.init(name: "training batches", points: train.map { (Double($0.iteration), $0.loss) },
                                 color: "#1f77b4"))
        if !validation.isEmpty {
            loss.series.append(.init(name: validationName, points: validation.map { (Double($0.iteration), $0.loss) },
                                     color: "#d62728"))
        }
        try loss.write(to: run.file("learning-curve.svg"))
        guard !regression else { return }
        var accuracy = SVGPlot(title: "Meta-training: query accuracy after adaptation", xLabel: "meta-iteration",
                               yLabel: "accuracy (%)")
        accuracy.series.append(.init(name: "training batches",
                                     points: train.compactMap { r in r.accuracy.map { (Double(r.iteration), 100 * $0) } },
                                     color: "#1f77b4"))
        accuracy.series.append(.init(name: validationName,
                                     points: validation.compactMap { r in r.accuracy.map { (Double(r.iteration), 100 * $0) } },
                                     color: "#d62728"))
        try accuracy.write(to: run.file("learning-curve-accuracy.svg"))
    }

    /// MAML-tf's --draw: one sinusoid task, its K points, and the model after 0, 1 and 10 steps.
    static func sinusoidPicture(learner: MetaLearner<MLP>, state: TrainingState, shots: Int, seed: UInt64) -> SVGPlot {
        let episode = SinusoidTaskSource.fixedEpisodes(count: 1, shots: shots, queries: 0, seed: seed)[0]
        let grid = (0...200).map { -5 + 10 * Double($0) / 200 }
        let gridTensor = Tensor(shape: [grid.count, 1], scalars: grid.map(Float.init))
        let trajectory = learner.adaptationTrajectory(parameters: state.parameters, stepSizes: state.stepSizes,
                                                      task: FewShotTask(episode), steps: 10)
        var plot = SVGPlot(title: String(format: "Sinusoid, %d-shot: A = %.2f, φ = %.2f", shots, episode.task.amplitude,
                                         episode.task.phase),
                           xLabel: "x", yLabel: "y")
        plot.series.append(.init(name: "true function", points: grid.map { ($0, episode.task($0)) }, color: "#d62728"))
        let steps: [(Int, String, SVGPlot.Style)] = [(0, "#7f7f7f", .dashedLine), (1, "#2ca02c", .line), (10, "#1f77b4", .line)]
        for (step, color, style) in steps {
            let predictions = learner.predict(trajectory[step], gridTensor).scalars
            plot.series.append(.init(name: step == 0 ? "before adaptation" : "after \(step) step\(step == 1 ? "" : "s")",
                                     points: zip(grid, predictions).map { ($0, Double($1)) }, color: color, style: style))
        }
        plot.series.append(.init(name: "\(shots) support points",
                                 points: zip(episode.supportInputs, episode.supportTargets).map { (Double($0), Double($1)) },
                                 color: "#000000", style: .points))
        return plot
    }
}
