// `metalearn demo`: no data needed. Trains MAML on sinusoids as MAML-tf did (K = 10, one inner step,
// α 0.001, meta-batch 25, Adam 1e-3, 70000 iterations), evaluates 5-shot and 10-shot after 1, 5 and
// 10 steps on fixed tasks, prints MAML-tf's table next to ours and ends with one JSON line.

import Foundation
import Kernels
import MetaLearning
import NN

enum DemoCommand {
    static let defaultIterations = 70_000
    /// MAML-tf's `--alpha` default, which its README commands keep (cbfinn/maml's code default is
    /// the same; the paper says 0.01). With 0.01, one in 600 fixed 5-shot tasks diverges after more
    /// than 5 steps and the mean becomes infinite.
    static let defaultInnerLearningRate: Float = 0.001
    /// MAML-tf README (model trained with K = 10, 1 update, batch 25): L2 after 1, 5 and 10 updates.
    static let reference: [Int: [Double]] = [5: [0.6609, 0.3024, 0.2714], 10: [0.4506, 0.2024, 0.1903]]
    static let reportedSteps = [1, 5, 10]

    static let options: Set<String> = [
        "iterations", "inner-lr", "seed", "episodes", "validation-episodes", "threads", "run-dir",
    ]
    static let switches: Set<String> = ["help", "quiet"]

    static let usage = """
        usage: metalearn demo [flags]

        Sinusoid regression with MAML, no data needed (Finn et al. 2017, Section 5.1; MAML-tf's table).
        Trains with K = 10 points, 1 inner step, α = 0.001, meta-batch 25, Adam 0.001, MSE (mean); then adapts to
        fixed test tasks with 5 and 10 points and reports the mean squared error on 100 query points per task
        after 1, 5 and 10 steps (mean ± 95% CI). The last line is one JSON object:
        {"sinusoid": {"5": [l1, l5, l10], "10": [l1, l5, l10]}}

          --iterations T     meta-iterations                          \(defaultIterations)
          --inner-lr α       inner learning rate, train and test      0.001 (MAML-tf's and cbfinn's code; the paper: 0.01)
          --seed S           training seed (test tasks use seed 1)    1
          --episodes N       fixed test tasks per shot                600
          --validation-episodes N  tasks checked during training     100
          --run-dir DIR      where the run is written (replaced)      runs/demo
          --threads N        all cores (results do not depend on it)
          --quiet            only the table and the JSON line
          -h, --help         this text
        """

    static func run(_ arguments: [String]) throws {
        let flags = try ArgumentList(arguments, command: "demo", options: options, switches: switches)
        if flags.has("help") { print(usage); return }
        if let threads = try flags.integer("threads", in: 1...1024) { Parallelism.threads = threads }
        var config = TrainConfig.defaults(profile: .sinusoid, way: 0)
        config.iterations = try flags.integer("iterations", in: 1...100_000_000) ?? defaultIterations
        config.seed = try flags.seed("seed") ?? 1
        config.innerLearningRate = try flags.positiveNumber("inner-lr") ?? defaultInnerLearningRate
        config.runDirectory = flags.string("run-dir") ?? "runs/demo"
        config.validationInterval = max(1, config.iterations / 10)
        config.logInterval = max(1, config.iterations / 500)
        config.checkpointInterval = max(1, config.iterations / 10)
        config.validationEpisodes = try flags.integer("validation-episodes", in: 1...1_000_000) ?? 100
        let episodes = try flags.integer("episodes", in: 1...1_000_000) ?? 600
        let quiet = flags.has("quiet")

        let run = RunDirectory(url: URL(fileURLWithPath: config.runDirectory))
        for name in ["checkpoint.mlck", "best.mlck", "log.jsonl", "results.json", "demo.json"] {
            try? FileManager.default.removeItem(at: run.file(name))
        }
        try TrainCommand.prepare(run, config: config, resume: false)
        let start = Date()
        let (learner, state) = try TrainCommand.trainSinusoid(config, seeds: RunSeeds(config.seed), run: run,
                                                              resume: false, quiet: quiet)
        let trainingSeconds = Date().timeIntervalSince(start)

        var results: [Int: EvaluationResult] = [:]
        for shots in [5, 10] {
            let tasks = SinusoidTaskSource.fixedEpisodes(count: episodes, shots: shots, queries: sinusoidEvaluationQueries,
                                                         seed: 1).map(FewShotTask.init)
            results[shots] = learner.evaluate(parameters: state.parameters, stepSizes: nil, tasks: tasks, steps: 10)
            try Figures.sinusoidPicture(learner: learner, state: state, shots: shots, seed: 1)
                .write(to: run.file("sinusoid-\(shots)shot.svg"))
        }
        let seconds = Date().timeIntervalSince(start)
        print(table(results, innerLearningRate: config.innerLearningRate, iterations: config.iterations, episodes: episodes, seconds: seconds,
                    trainingSeconds: trainingSeconds))
        let json = jsonLine(results)
        try run.write(Data((json + "\n").utf8), to: "demo.json")
        if !quiet { print("run directory: \(run.url.path) (sinusoid-5shot.svg, sinusoid-10shot.svg, learning-curve.svg)") }
        print(json)
    }

    /// {"sinusoid": {"5": [l1, l5, l10], "10": [l1, l5, l10]}}; a diverged mean is written as the
    /// string "Infinity" or "NaN" so the line stays valid JSON.
    static func jsonLine(_ results: [Int: EvaluationResult]) -> String {
        func number(_ value: Double) -> String {
            value.isNaN ? "\"NaN\"" : value.isInfinite ? "\"Infinity\"" : String(format: "%.4f", value)
        }
        let shots = results.keys.sorted().map { shots in
            "\"\(shots)\": [" + reportedSteps.map { number(results[shots]!.perStep[$0].loss.mean) }.joined(separator: ", ") + "]"
        }
        return "{\"sinusoid\": {" + shots.joined(separator: ", ") + "}}"
    }

    /// Our numbers (mean ± 95% CI) next to MAML-tf's.
    static func table(_ results: [Int: EvaluationResult], innerLearningRate: Float, iterations: Int, episodes: Int,
                      seconds: Double, trainingSeconds: Double) -> String {
        var lines = [
            "",
            "Sinusoid regression, MAML trained with K = 10, 1 inner step, α = \(innerLearningRate), meta-batch 25, Adam 0.001,",
            "\(iterations) iterations (\(duration(trainingSeconds)) training, \(duration(seconds)) in all, "
                + "\(Parallelism.threads) thread(s)).",
            "Mean squared error on \(episodes) fixed tasks, \(sinusoidEvaluationQueries) query points each, "
                + "mean ± 95% CI:",
            "",
            "                 1 step            5 steps           10 steps",
        ]
        for shots in [5, 10] {
            let ours = reportedSteps.map { step -> String in
                let score = results[shots]!.perStep[step]
                let text = score.divergedEpisodes > 0 ? "\(score.divergedEpisodes) diverged"
                    : String(format: "%.3f ± %.3f", score.loss.mean, score.loss.ci95)
                return text.padding(toLength: 18, withPad: " ", startingAt: 0)
            }
            lines.append(String(format: "%2d-shot  ours    ", shots) + ours.joined())
            lines.append("         MAML-tf " + reference[shots]!.map {
                String(format: "%.4f", $0).padding(toLength: 18, withPad: " ", startingAt: 0)
            }.joined())
        }
        lines.append("(MAML-tf's README: one run, 100 tasks with K query points each, α = 0.001.)")
        return lines.map { $0.replacingOccurrences(of: " +$", with: "", options: .regularExpression) }
            .joined(separator: "\n") + "\n"
    }
}
