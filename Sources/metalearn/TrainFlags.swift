// The flags of `metalearn train`: usage text with every default, and parsing into a TrainConfig
// (a new run, or a resumed one whose saved settings the flags may not contradict).

import Foundation
import MetaLearning

enum TrainFlags {
    static let options: Set<String> = Set([
        "method", "dataset", "way", "shot", "query", "inner-steps", "test-inner-steps", "inner-lr", "meta-lr",
        "meta-batch", "iterations", "clip", "batch-norm", "loss-reduction", "rotations", "model", "filters", "seed",
        "run-dir", "threads", "validation-interval", "validation-episodes", "checkpoint-interval", "log-interval",
        "primal-replay",
    ]).union(TAMLSettings.options)
    static let switches: Set<String> = Set(["resume", "help", "quiet"]).union(TAMLSettings.switches)
    /// Flags a resumed run may change.
    static let changeableOnResume: Set<String> = [
        "iterations", "test-inner-steps", "validation-interval", "validation-episodes", "checkpoint-interval",
        "log-interval", "threads", "run-dir", "quiet", "resume", "print-balancing-every", "primal-replay",
    ]

    static let usage = """
        usage: metalearn train [flags]

        Meta-trains MAML, first-order MAML or Meta-SGD and writes a run directory: config.json, log.jsonl,
        checkpoint.mlck (latest), best.mlck (best validation), results.json and SVG plots.

        what to learn                                  defaults: sinusoid | Omniglot | other images
          --method maml|fomaml|metasgd|taml            maml (second order) | fomaml: first order | metasgd: learned α
                                                       | taml: Bayesian TAML (images only; see below)
          --dataset sinusoid|<file.mlds>|<dir>         sinusoid; a *train*.mlds file (its *val* and *test* siblings
                                                       are found next to it) or a directory holding one
          --dataset a-train.mlds,b-train.mlds,...      multi-dataset (l2b): iteration i takes its whole meta-batch
                                                       from dataset i mod D (in this order); same image size and
                                                       channels; validation = mean over the datasets' *val* files;
                                                       datasets.jsonl holds each dataset's own metrics
          --way N                                      - | 5 | 5
          --shot K                                     10 | 1 | 1
          --query Q            per class (sinusoid: points)  = shot | = shot | 15; always 15 with --any-shot
          --model M             sinusoid: mlp|mlp-batch-norm; images: conv4-stride2|conv4-max-pool
                                                       mlp | conv4-stride2 | conv4-max-pool
                                                       (mlp-batch-norm: batch norm after each hidden layer,
                                                       cbfinn's --norm batch_norm)
          --filters F                                  - | 64 | 32
          --rotations on|off   k·90° class rotations   - | on | off
        inner loop
          --inner-steps S                              1 | 1 (20-way: 5) | 5
          --test-inner-steps S  at validation and test 10
          --inner-lr α          (Meta-SGD: initial α)  0.01 | 0.4 (20-way: 0.1) | 0.01
          --loss-reduction mean|sum-over-shots         mean | sum-over-shots (cbfinn: Σ CE / K) | sum-over-shots
          --batch-norm transductive|transductive-adapted
                                                       transductive: batch statistics, offsets meta-learned but
                                                       not adapted (cbfinn, l2b); -adapted: also adapted
                                                       (sinusoid: only with --model mlp-batch-norm)
        outer loop
          --meta-lr β           Adam step size         0.001
          --meta-batch B        tasks per iteration    25 | 32 (20-way: 16) | 4
          --iterations T        total (also on resume) 70000 | 60000 | 60000
          --clip C              clip each meta-gradient element to [-C, C]   none | none | 10
          --seed S              initialization and task stream               1
        run
          --run-dir DIR         runs/<dataset>-<method>-<way>w<shot>s-seed<seed>
          --resume              continue DIR's checkpoint.mlck bit-identically (other flags default to the saved
                                ones; --iterations, intervals, --threads and --primal-replay may change)
          --validation-interval N   iterations/20        --validation-episodes N   100 (fixed, from the seed)
          --checkpoint-interval N   500                  --log-interval N          iterations/500
          --threads N           all cores (results do not depend on it)
          --primal-replay on|off  on (default): each inner step's Hessian-vector product reuses the values
                                of the inner loop's gradient at the same point (faster; holds the inner steps'
                                activations until the meta-gradient is done). off: recompute them, for less
                                memory. Results are identical either way.
          --quiet               no progress output
          -h, --help            this text

        \(TAMLSettings.usage)

        examples:
          metalearn train --dataset sinusoid --iterations 20000
          metalearn train --dataset data/omniglot-maml-train.mlds --way 5 --shot 1 --method fomaml
          metalearn train --dataset data/a-train.mlds,data/b-train.mlds --method taml --any-shot --way 10
          metalearn train --run-dir runs/omniglot-maml-maml-5w1s-seed1 --resume --iterations 80000
        """

    /// The configuration for `arguments`, and whether to resume.
    static func parse(_ flags: ArgumentList) throws -> (config: TrainConfig, resume: Bool) {
        let resume = flags.has("resume")
        if resume {
            let runDirectory = try flags.string("run-dir") ?? defaultRunDirectory(flags)
            let run = RunDirectory(url: URL(fileURLWithPath: runDirectory))
            guard FileManager.default.fileExists(atPath: run.configURL.path) else {
                throw UsageError("nothing to resume: \(runDirectory) has no config.json. Give the --run-dir of an earlier "
                    + "`metalearn train`, or start the run without --resume.")
            }
            let saved = try run.readJSON(TrainConfig.self, from: "config.json")
            var config = saved
            try apply(flags, to: &config)
            config.runDirectory = runDirectory
            var changed = zip(saved.fixedSettings, config.fixedSettings).filter { $0.value != $1.value }
                .map { "--\($1.flag) \($1.value) (saved: \($0.value))" }
            if let dataset = flags.string("dataset") {
                let (_, list) = try DatasetChoice.resolveList(dataset)
                let paths = list.isEmpty ? "sinusoid" : list.map(\.train).joined(separator: ",")
                if paths != saved.dataset { changed.append("--dataset \(paths) (saved: \(saved.dataset))") }
            }
            guard changed.isEmpty else {
                throw UsageError("--resume continues the saved run, but \(changed.joined(separator: ", ")) differ from "
                    + "\(runDirectory)/config.json. Drop those flags to continue, or start a new run in another --run-dir.")
            }
            return (config, true)
        }
        let config = try newConfig(flags)
        return (config, false)
    }

    /// The configuration of a new run: the dataset's defaults, then the flags.
    static func newConfig(_ flags: ArgumentList) throws -> TrainConfig {
        let (profile, list) = try DatasetChoice.resolveList(flags.string("dataset") ?? "sinusoid")
        var config = TrainConfig.defaults(profile: profile, way: try flags.integer("way", in: 2...10_000) ?? 5)
        config.dataset = list.isEmpty ? "sinusoid" : list.map(\.train).joined(separator: ",")
        config.splits = list.first
        config.datasets = list.count > 1 ? list : nil
        try apply(flags, to: &config)
        config.completeDerivedDefaults(given: flags)
        return config
    }

    /// The run directory the flags would create (to find a run to resume without --run-dir).
    static func defaultRunDirectory(_ flags: ArgumentList) throws -> String {
        try newConfig(flags).runDirectory
    }

    /// Overrides `config` with every flag given.
    static func apply(_ flags: ArgumentList, to config: inout TrainConfig) throws {
        let isSinusoid = config.profile == .sinusoid
        for flag in ["way", "rotations", "filters"] where isSinusoid && flags.has(flag) {
            throw UsageError("--\(flag) does not apply to --dataset sinusoid (an MLP regressor). Drop it, or train on "
                + "an image dataset file.")
        }
        if let value = try flags.choice("method", MetaMethod.self) { config.method = value }
        if let value = try flags.integer("way", in: 2...10_000) { config.way = value }
        let shotGiven = try flags.integer("shot", in: 1...100_000)
        if let shotGiven { config.shot = shotGiven }
        if let value = try flags.integer("query", in: 1...100_000) {
            config.query = value
        } else if shotGiven != nil && config.profile != .images {
            config.query = config.shot  // MAML: K queries per class (or K query points)
        }
        if let value = try flags.integer("inner-steps", in: 0...1000) { config.innerSteps = value }
        if let value = try flags.integer("test-inner-steps", in: 0...1000) { config.testInnerSteps = value }
        if let value = try flags.positiveNumber("inner-lr") { config.innerLearningRate = value }
        if let value = try flags.positiveNumber("meta-lr") { config.metaLearningRate = value }
        if let value = try flags.integer("meta-batch", in: 1...100_000) { config.metaBatchSize = value }
        if let value = try flags.integer("iterations", in: 1...100_000_000) { config.iterations = value }
        if let value = try flags.positiveNumber("clip") { config.clip = value }
        if let value = try flags.choice("batch-norm", BatchNormPolicy.self) { config.batchNorm = value }
        if let value = try flags.choice("loss-reduction", LossReduction.self) { config.lossReduction = value }
        if let value = try flags.onOff("rotations") { config.rotations = value }
        if let value = try flags.onOff("primal-replay") { config.primalReplay = value }
        if let value = try flags.choice("model", ModelKind.self) {
            guard value.isMLP == isSinusoid else {
                throw UsageError(isSinusoid
                    ? "--model \(kebabCase(value.rawValue)) is an image model; --dataset sinusoid takes mlp or mlp-batch-norm."
                    : "--model \(kebabCase(value.rawValue)) is the sinusoid regressor; use --dataset sinusoid.")
            }
            config.model = value
        }
        if isSinusoid && config.model == .mlp && flags.has("batch-norm") {
            throw UsageError("--batch-norm needs a model with batch norm: add --model mlp-batch-norm, or drop --batch-norm.")
        }
        if let value = try flags.integer("filters", in: 1...4096) { config.filters = value }
        if let value = try flags.seed("seed") { config.seed = value }
        if let value = flags.string("run-dir") { config.runDirectory = value }
        if let value = try flags.integer("validation-interval", in: 0...100_000_000) { config.validationInterval = value }
        if let value = try flags.integer("validation-episodes", in: 1...1_000_000) { config.validationEpisodes = value }
        if let value = try flags.integer("checkpoint-interval", in: 1...100_000_000) { config.checkpointInterval = value }
        if let value = try flags.integer("log-interval", in: 1...100_000_000) { config.logInterval = value }
        try TAMLSettings.apply(flags, to: &config)
    }
}
