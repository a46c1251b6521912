// Adam (Kingma & Ba 2015), with TensorFlow's defaults, and optional element-wise clipping of the
// gradient before the update (l2b clips to ±3, MAML miniImageNet to ±10).

import Autodiff
import Kernels

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
        let settings = AdamStepSettings(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                        clip: clipValue ?? .infinity, correction1: correction1, correction2: correction2)
        for i in parameters.indices {
            firstMoments[i].scalars.withUnsafeMutableBufferPointer { m in
                secondMoments[i].scalars.withUnsafeMutableBufferPointer { v in
                    parameters[i].scalars.withUnsafeMutableBufferPointer { theta in
                        gradient[i].scalars.withUnsafeBufferPointer { g in
                            adamUpdate(theta, firstMoments: m, secondMoments: v, gradient: g, settings)
                        }
                    }
                }
            }
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

