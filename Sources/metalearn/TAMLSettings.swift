// The Bayesian TAML settings of `metalearn train --method taml`: which balancing variables are on,
// the any-shot sampler, and how often to print the balancing variables. Saved in config.json.

import Datasets
import MetaLearning

struct TAMLSettings: Codable, Equatable {
    var alpha = true
    var omega = true
    var gamma = true
    var z = true
    var deterministic = false
    /// Largest shot per class: the sampler's bound with --any-shot, the encoder's set-size scale.
    var maxShot: Int
    /// l2b's sampler: per episode, class imbalance (shots 1…maxShot per class) or task imbalance.
    var anyShot = false
    /// Iterations between the balancing printouts (0: never).
    var printBalancingEvery = 1000

    /// Query examples per class with --any-shot unless --query says otherwise (l2b's --query default).
    static let anyShotQueries = 15

    static let switches: Set<String> = ["alpha", "no-alpha", "omega", "no-omega", "gamma", "no-gamma", "z", "no-z",
                                        "deterministic", "any-shot"]
    static let options: Set<String> = ["max-shot", "print-balancing-every"]

    static let usage = """
        Bayesian TAML (--method taml; l2b's defaults: every variable on, head starts at zero each task)
          --alpha | --no-alpha  Meta-SGD's learned step sizes α                        on
          --omega | --no-omega  class weights softmax(ω) on the class-summed support losses   on
          --gamma | --no-gamma  per-layer step-size multipliers exp(γ)                 on
          --z | --no-z          modulated initialisation W·(1+z), b+z of the convs     on
          --deterministic       posterior means everywhere and no KL (deterministic TAML)
          --any-shot            l2b sampler: 1…max-shot shots (class or task imbalance), 15 queries
          --max-shot K          any-shot bound and the encoder's set-size scale        50 with --any-shot, else --shot
          --print-balancing-every N   γ and ω tables on 10 validation episodes, plots  1000
        """

    var options: BalancingOptions {
        BalancingOptions(alpha: alpha, omega: omega, gamma: gamma, z: z, bayesian: !deterministic)
    }

    /// e.g. "alpha omega gamma z bayesian any-shot max-shot 50".
    var summary: String {
        [("alpha", alpha), ("omega", omega), ("gamma", gamma), ("z", z)].filter(\.1).map(\.0).joined(separator: " ")
            + (deterministic ? " deterministic" : " bayesian") + (anyShot ? " any-shot" : "") + " max-shot \(maxShot)"
    }

    /// Reads the TAML flags into `config.taml` (creating it for --method taml); TAML flags with
    /// another method are an error.
    static func apply(_ flags: ArgumentList, to config: inout TrainConfig) throws {
        let given = (switches.union(options)).filter { flags.has($0) }.sorted()
        guard config.method == .taml else {
            if !given.isEmpty {
                throw UsageError("--\(given[0]) applies to Bayesian TAML only; add --method taml or drop it.")
            }
            config.taml = nil
            return
        }
        guard config.profile != .sinusoid else {
            throw UsageError("--method taml needs an image classification dataset (the set encoder reads images); "
                + "give --dataset <file.mlds>.")
        }
        if config.taml == nil && !flags.has("clip") { config.clip = 3 }  // l2b: clip_by_value ±3
        var settings = config.taml ?? TAMLSettings(maxShot: config.shot)
        for (name, value) in [("alpha", \TAMLSettings.alpha), ("omega", \.omega), ("gamma", \.gamma), ("z", \.z)] {
            if flags.has(name) && flags.has("no-" + name) { throw UsageError("--\(name) and --no-\(name) contradict each other.") }
            if flags.has(name) { settings[keyPath: value] = true }
            if flags.has("no-" + name) { settings[keyPath: value] = false }
        }
        if flags.has("deterministic") { settings.deterministic = true }
        if flags.has("any-shot") && !settings.anyShot {
            settings.anyShot = true
            settings.maxShot = 50
            if !flags.has("query") { config.query = anyShotQueries }  // l2b --query 15, whatever the dataset's default
        }
        if let value = try flags.integer("max-shot", in: 1...100_000) { settings.maxShot = value }
        if !flags.has("max-shot") && !settings.anyShot { settings.maxShot = config.shot }
        if let value = try flags.integer("print-balancing-every", in: 0...100_000_000) { settings.printBalancingEvery = value }
        config.taml = settings
    }
}
