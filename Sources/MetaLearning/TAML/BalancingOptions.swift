// Which balancing variables Bayesian TAML uses (the paper's ablations), the noise of one task's
// reparameterised samples, and the errors of bad set-ups.

import Autodiff

/// The switches of Bayesian TAML. l2b: `--alpha_on --omega_on --gamma_on --z_on`.
public struct BalancingOptions: Sendable, Codable, Equatable {
    /// Meta-SGD's learned per-element step sizes α (else one inner learning rate).
    public var alpha: Bool
    /// Class weights softmax(ω) on the per-class summed support losses.
    public var omega: Bool
    /// Per-layer step-size multipliers exp(γ).
    public var gamma: Bool
    /// Modulated initialisation W·(1 + z), b + z on the conv layers.
    public var z: Bool
    /// Bayesian: one reparameterised sample per task at training and a KL/(N+M) term.
    /// Deterministic TAML: posterior means everywhere and no KL.
    public var bayesian: Bool
    /// l2b: the classifier head is zero at the start of every task and is not meta-learned; its α
    /// is one column `[features, 1]` and one scalar `[1]`, tiled over the classes. When false, the
    /// head comes from θ and its α has the head's full shape (as MAML and Meta-SGD here).
    public var headStartsAtZero: Bool

    public init(alpha: Bool = true, omega: Bool = true, gamma: Bool = true, z: Bool = true,
                bayesian: Bool = true, headStartsAtZero: Bool = true) {
        self.alpha = alpha
        self.omega = omega
        self.gamma = gamma
        self.z = z
        self.bayesian = bayesian
        self.headStartsAtZero = headStartsAtZero
    }

    /// Every balancing variable, with α (l2b's Bayesian TAML).
    public static let bayesianTAML = BalancingOptions()
    /// α only: Meta-SGD.
    public static let metaSGD = BalancingOptions(omega: false, gamma: false, z: false)
    /// Nothing: MAML with one inner learning rate.
    public static let maml = BalancingOptions(alpha: false, omega: false, gamma: false, z: false)

    /// Whether the set encoder runs at all.
    public var usesEncoder: Bool { omega || gamma || z }
}

/// The noise ε of one task's samples ω = μ_ω + σ_ω⊙ε_ω, γ = …, z = … .
public struct BalancingNoise: Sendable {
    public var omega: Tensor
    public var gamma: Tensor
    public var z: Tensor

    public init(omega: Tensor, gamma: Tensor, z: Tensor) {
        self.omega = omega
        self.gamma = gamma
        self.z = z
    }

    /// Fresh standard normal noise for a `way`-class task, drawn in the order ω, γ, z.
    public static func draw(way: Int, encoder: SetEncoder, using generator: inout some RandomNumberGenerator)
        -> BalancingNoise
    {
        BalancingNoise(omega: DiagonalNormal.standardNoise(count: way, using: &generator),
                       gamma: DiagonalNormal.standardNoise(count: encoder.gammaCount, using: &generator),
                       z: DiagonalNormal.standardNoise(count: encoder.zCount, using: &generator))
    }
}

/// A set-up that Bayesian TAML cannot run, with what to do about it.
public enum TAMLError: Error, Equatable, CustomStringConvertible {
    case unknownParameter(String)
    case convLayersNotNumbered([Int])
    case filtersDiffer(layer: Int, filters: Int, expected: Int)
    case missingHead
    case encoderMismatch(String)
    case notClassification
    case emptyClass(Int)

    public var description: String {
        switch self {
        case .unknownParameter(let name):
            return "Bayesian TAML: parameter '\(name)' is not convN/weights, convN/bias, bnN/…, dense/weights or "
                + "dense/bias; use a ConvNet4-style model"
        case .convLayersNotNumbered(let layers):
            return "Bayesian TAML: conv layers \(layers) must be numbered 1, 2, … with weights and bias each"
        case .filtersDiffer(let layer, let filters, let expected):
            return "Bayesian TAML: conv\(layer) has \(filters) filters, conv1 has \(expected); z needs equal widths"
        case .missingHead:
            return "Bayesian TAML: the model needs dense/weights [features, way] and dense/bias [way]"
        case .encoderMismatch(let what):
            return "Bayesian TAML: the set encoder does not fit the base network (\(what)); "
                + "set SetEncoder.baseConvLayers and baseFilters from the model"
        case .notClassification:
            return "Bayesian TAML: tasks must be classification tasks (class labels)"
        case .emptyClass(let c):
            return "Bayesian TAML: class \(c) has no support example; every class needs at least one"
        }
    }
}
