// `metalearn test`: evaluates a checkpoint on fixed episodes (saved and replayed, so every method
// is compared on the same episodes) and reports mean ± 95% CI after 0 … N inner steps.

import Datasets
import Foundation
import Kernels
import MetaLearning
import NN
import Randomness

enum TestCommand {
    static let options: Set<String> = [
        "run-dir", "checkpoint", "split", "test-set", "episodes", "episodes-file", "seed", "test-inner-steps", "shot",
        "query", "threads", "mc-samples",
    ]
    static let switches: Set<String> = ["json", "help"]

    static let usage = """
        usage: metalearn test (--run-dir DIR | --checkpoint FILE) [flags]

        Evaluates a trained learner on fixed episodes: adapts on each support set and reports the query
        accuracy (or mean squared error) as mean ± 95% CI (1.96·std/√n) after 0, 1, …, N inner steps.

          --run-dir DIR             a run of `metalearn train` (uses DIR/best.mlck, else DIR/checkpoint.mlck)
          --checkpoint FILE         a specific .mlck file (its directory must hold the run's config.json)
          --split test|val          which sibling of the training file to use                  test
          --test-set FILE           evaluate on this dataset file instead (same image size)
          --episodes N              number of fixed episodes                                    600
          --seed S                  seed the episodes are drawn from                            1
          --episodes-file FILE      replay saved episodes (ignores --episodes, --seed, --shot, --query)
                                    (otherwise the episodes are saved in DIR/test-episodes/ and replayed next time)
          --test-inner-steps N      inner steps at test time                                    10 (the run's)
          --shot K                  support examples per class (sinusoid: points)               the run's
          --query Q                 query examples per class                    the run's (sinusoid: 100 points)
          --json                    end with one JSON line: "accuracy" or "mse", "ci95", "episodes", "method",
                                    "batchNorm", "perStep", "shot" (or "anyShot": true and "maxShot"), ...
                                    (accuracy as a fraction in [0, 1])
        A run trained on several datasets (--dataset a,b,c) is tested on each one's --split sibling in turn
        (--test-set FILE evaluates one file instead, e.g. an out-of-distribution set); its JSON line is
        {"datasets": [one object as above per dataset, in training order], "meanAccuracy", "ci95", "steps",
         "split", "method", "checkpoint", "iteration"}.
          --mc-samples S            Bayesian TAML: S samples, averaged softmax (0: posterior means)  10
          --threads N               all cores (results do not depend on it)
          -h, --help                this text
        """

    static func run(_ arguments: [String]) throws {
        let flags = try ArgumentList(arguments, command: "test", options: options, switches: switches)
        if flags.has("help") { print(usage); return }
        if let threads = try flags.integer("threads", in: 1...1024) { Parallelism.threads = threads }
        let (run, checkpointURL) = try locateCheckpoint(flags)
        let config = try run.readJSON(TrainConfig.self, from: "config.json")
        let checkpoint = try Checkpoint(contentsOf: checkpointURL)
        let steps = try flags.integer("test-inner-steps", in: 0...1000) ?? config.testInnerSteps
        let seed = try flags.seed("seed") ?? 1
        let count = try flags.integer("episodes", in: 1...1_000_000) ?? 600
        let report: TestReport
        switch config.profile {
        case .sinusoid:
            let learner = config.learner(config.sinusoidModel)
            try checkCompatible(checkpoint, with: config, fresh: freshParameters(learner), path: checkpointURL.path)
            let shot = try flags.integer("shot", in: 1...100_000) ?? config.shot
            let query = try flags.integer("query", in: 1...100_000) ?? sinusoidEvaluationQueries
            let tasks = SinusoidTaskSource.fixedEpisodes(count: count, shots: shot, queries: query, seed: seed)
                .map(FewShotTask.init)
            let result = learner.evaluate(parameters: checkpoint.state.parameters, stepSizes: checkpoint.state.stepSizes,
                                          tasks: tasks, steps: steps)
            report = TestReport(config: config, checkpoint: checkpointURL.path, iteration: checkpoint.state.iteration,
                                dataset: "sinusoid", split: "fixed tasks", shot: shot, query: query, seed: seed,
                                episodesFile: nil, result: result)
        case .omniglot, .images:
            if config.datasets != nil && !flags.has("test-set") {
                try testEachDataset(flags, config: config, run: run, checkpoint: checkpoint, checkpointURL: checkpointURL,
                                    steps: steps, count: count, seed: seed)
                return
            }
            let (file, split) = try evaluationFile(flags, config)
            // Episodes of each --test-set file are saved under its own name (e.g. several OOD sets of one run).
            let label = flags.string("test-set").map {
                "given-file-" + URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent
            }
            report = try testImages(flags, config: config, run: run, checkpoint: checkpoint, checkpointURL: checkpointURL,
                                    file: file, split: split, label: label, steps: steps, count: count, seed: seed)
        }
        print("metalearn test: \(report.method), batch norm \(report.batchNorm), \(checkpointURL.path) "
            + "(iteration \(report.iteration))")
        print("  \(report.shape), \(report.episodes) fixed episodes of \(report.dataset) (\(report.split))")
        print(report.table)
        try run.write(Data((report.jsonLine + "\n").utf8), to: "test-results.json")
        if flags.has("json") { print(report.jsonLine) }
    }

    /// Evaluates the checkpoint on fixed episodes of one image dataset file.
    static func testImages(_ flags: ArgumentList, config: TrainConfig, run: RunDirectory, checkpoint: Checkpoint,
                           checkpointURL: URL, file: DatasetFile, split: String, label: String?, steps: Int, count: Int,
                           seed: UInt64) throws -> TestReport {
        try checkImageShape(file, config: config)
        let episodes = try fixedEpisodes(flags, config: config, file: file, split: split, label: label, run: run,
                                         count: count, seed: seed)
        let network = ImageSetup.model(config, imageSize: file.height, channels: file.channels, way: config.way ?? 2)
        let result: EvaluationResult
        if config.method == .taml {
            result = try TAMLTraining.evaluate(config, network: network, checkpoint: checkpoint, path: checkpointURL.path,
                                               episodes: episodes.episodes, file: file, steps: steps, seed: seed,
                                               samples: try flags.integer("mc-samples", in: 0...10_000) ?? 10)
        } else {
            let learner = config.learner(network)
            try checkCompatible(checkpoint, with: config, fresh: freshParameters(learner), path: checkpointURL.path)
            result = learner.evaluate(parameters: checkpoint.state.parameters, stepSizes: checkpoint.state.stepSizes,
                                      taskCount: episodes.episodes.count, steps: steps) {
                episodes.episodes.task($0, from: file)
            }
        }
        let shot: Int?, maxShot: Int?
        switch episodes.episodes.config.shots {
        case .fixed(let value): (shot, maxShot) = (value, nil)
        case .anyShot(let value): (shot, maxShot) = (nil, value)
        }
        return TestReport(config: config, checkpoint: checkpointURL.path, iteration: checkpoint.state.iteration,
                          dataset: file.path, split: split, shot: shot, maxShot: maxShot,
                          query: episodes.episodes.config.queriesPerClass, seed: episodes.episodes.seed,
                          episodesFile: episodes.path, result: result)
    }

    static func freshParameters<Model: FewShotModel>(_ learner: MetaLearner<Model>) -> Parameters {
        var generator = SplitMix64(seed: 0)
        return learner.model.initialParameters(using: &generator)
    }

    /// The run directory and checkpoint file named by --run-dir / --checkpoint.
    static func locateCheckpoint(_ flags: ArgumentList) throws -> (RunDirectory, URL) {
        if let path = flags.string("checkpoint") {
            let url = URL(fileURLWithPath: path)
            let run = RunDirectory(url: url.deletingLastPathComponent())
            guard FileManager.default.fileExists(atPath: run.configURL.path) else {
                throw UsageError("\(run.configURL.path) is missing: the checkpoint must stay in its run directory, next "
                    + "to the config.json that describes its network.")
            }
            return (run, url)
        }
        guard let path = flags.string("run-dir") else {
            throw UsageError("say what to test: --run-dir <dir of a `metalearn train` run> or --checkpoint <file.mlck>.")
        }
        let run = RunDirectory(url: URL(fileURLWithPath: path))
        guard FileManager.default.fileExists(atPath: run.configURL.path) else {
            throw UsageError("\(path) is not a run directory (no config.json). Give the --run-dir of a `metalearn train`.")
        }
        let best = FileManager.default.fileExists(atPath: run.bestCheckpointURL.path)
        return (run, best ? run.bestCheckpointURL : run.checkpointURL)
    }

    /// The dataset file to evaluate on and the name of its split.
    static func evaluationFile(_ flags: ArgumentList, _ config: TrainConfig) throws -> (DatasetFile, String) {
        if let path = flags.string("test-set") { return (try DatasetChoice.open(path), "given file") }
        let split = flags.string("split") ?? "test"
        guard split == "test" || split == "val" else { throw UsageError("--split must be test or val, got '\(split)'.") }
        guard let path = split == "test" ? config.splits?.test : config.splits?.validation else {
            throw UsageError("no \(split) split was found next to \(config.dataset). Name the file with --test-set <file.mlds>.")
        }
        return (try DatasetChoice.open(path), split)
    }
}
