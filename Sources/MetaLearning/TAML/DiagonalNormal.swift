// A factorised Gaussian posterior N(μ, diag σ²) with σ = softplus(ρ), written with Variable ops:
// the reparameterised sample μ + σ⊙ε and the analytic KL to the standard normal prior (l2b).

import Autodiff

/// q = N(μ, diag σ²), σ = softplus(ρ) with no minimum (l2b `normal(mu, softplus(sigma))`).
///
/// μ and ρ are Variables, so the sample and the KL below carry derivatives back to whatever
/// produced them (the set encoder).
public struct DiagonalNormal {
    /// μ, `[d]`.
    public var mean: Variable
    /// ρ, `[d]`: the unconstrained scale.
    public var rawScale: Variable

    public init(mean: Variable, rawScale: Variable) {
        precondition(mean.shape == rawScale.shape,
                     "DiagonalNormal: mean \(mean.shape) and raw scale \(rawScale.shape) differ in shape")
        self.mean = mean
        self.rawScale = rawScale
    }

    /// Number of dimensions d.
    public var count: Int { mean.value.count }

    /// σ = softplus(ρ), `[d]`.
    public var standardDeviation: Variable { rawScale.softplus() }

    /// The reparameterised sample μ + σ ⊙ ε for a fixed ε `[d]`: its derivatives reach μ and ρ.
    public func sample(noise: Tensor) -> Variable {
        precondition(noise.count == count, "DiagonalNormal.sample: noise has \(noise.count) values, need \(count)")
        return mean + standardDeviation * mean.constant(noise.reshaped(to: mean.shape))
    }

    /// KL(q ‖ N(0, I)) = Σᵢ ½(μᵢ² + σᵢ² − 1) − log σᵢ, a scalar.
    public func klDivergenceFromStandardNormal() -> Variable {
        let sigma = standardDeviation
        return ((mean.squared() + sigma.squared()).adding(-1).scaled(by: 0.5) - sigma.log()).sum()
    }

    /// ε ~ N(0, I) of `count` values from a seeded generator.
    public static func standardNoise(count: Int, using generator: inout some RandomNumberGenerator) -> Tensor {
        Tensor.randomNormal(shape: [count], using: &generator)
    }
}
