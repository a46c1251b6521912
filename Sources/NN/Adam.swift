// Adam (Kingma & Ba 2015), with TensorFlow's defaults, and optional element-wise clipping of the
// gradient before the update (l2b clips to ±3, MAML miniImageNet to ±10).

import Autodiff

/// The Adam optimizer. Its state (step count and moments) is part of the value, so copying an
/// `Adam` copies its state; checkpoints store it for an exact resume.
public struct Adam: Sendable, Equatable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Clip each gradient element to [−c, c] before the update; nil = no clipping.
    public var clipValue: Float?
    public var step: Int = 0
    public var firstMoments: [Tensor] = []
    public var secondMoments: [Tensor] = []

    public init(learningRate: Float, clipValue: Float? = nil) {
        self.learningRate = learningRate
        self.clipValue = clipValue
    }

    /// θ ← θ − lr·m̂/(√v̂ + ε) with m, v the bias-corrected moment estimates.
    ///
    /// m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)
    public mutating func update(_ parameters: inout [Tensor], along gradient: [Tensor]) {
        precondition(parameters.count == gradient.count, "Adam: \(parameters.count) parameters, \(gradient.count) gradients")
        if firstMoments.isEmpty {
            firstMoments = parameters.map { Tensor(zeros: $0.shape) }
            secondMoments = firstMoments
        }
        step += 1
        let correction1 = 1 - Float.power(beta1, step)
        let correction2 = 1 - Float.power(beta2, step)
        for i in parameters.indices {
            var m = firstMoments[i].scalars, v = secondMoments[i].scalars, theta = parameters[i].scalars
            let g = gradient[i].scalars
            for j in theta.indices {
                var gj = g[j]
                if let c = clipValue { gj = min(max(gj, -c), c) }
                m[j] = beta1 * m[j] + (1 - beta1) * gj
                v[j] = beta2 * v[j] + (1 - beta2) * gj * gj
                let mHat = m[j] / correction1, vHat = v[j] / correction2
                theta[j] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
            }
            firstMoments[i].scalars = m
            secondMoments[i].scalars = v
            parameters[i].scalars = theta
        }
    }
}

extension Float {
    /// xⁿ for a non-negative integer n, by repeated squaring.
    static func power(_ x: Float, _ n: Int) -> Float {
        var result: Float = 1, base = x, e = n
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
