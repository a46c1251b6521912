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
        let constants = (beta1, beta2, epsilon, learningRate, clipValue ?? .infinity, correction1, correction2)
        for i in parameters.indices {
            firstMoments[i].scalars.withUnsafeMutableBufferPointer { m in
                secondMoments[i].scalars.withUnsafeMutableBufferPointer { v in
                    parameters[i].scalars.withUnsafeMutableBufferPointer { theta in
                        gradient[i].scalars.withUnsafeBufferPointer { g in
                            adamStep(theta, m, v, g, constants)
                        }
                    }
                }
            }
        }
    }
}

/// Adam's update of one tensor, eight lanes at a time: the same IEEE operations in the same order
/// as the scalar tail, so every element gets the same bits either way.
private func adamStep(_ theta: UnsafeMutableBufferPointer<Float>, _ m: UnsafeMutableBufferPointer<Float>,
                      _ v: UnsafeMutableBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>,
                      _ constants: (Float, Float, Float, Float, Float, Float, Float)) {
    precondition(theta.count == g.count && m.count == g.count && v.count == g.count, "Adam: shape mismatch")
    let (beta1, beta2, epsilon, rate, clip, correction1, correction2) = constants
    var j = 0
    while j + 8 <= theta.count {
        var gj = g.loadSIMD8(j)  // clipped to [−clip, clip]; a NaN stays NaN, as in the scalar tail
        gj.replace(with: -clip, where: gj .< -clip)
        gj.replace(with: clip, where: gj .> clip)
        let mj = beta1 * m.loadSIMD8(j) + (1 - beta1) * gj
        let vj = beta2 * v.loadSIMD8(j) + (1 - beta2) * gj * gj
        m.storeSIMD8(mj, j)
        v.storeSIMD8(vj, j)
        let mHat = mj / correction1, vHat = vj / correction2
        theta.storeSIMD8(theta.loadSIMD8(j) - rate * mHat / (vHat.squareRoot() + epsilon), j)
        j += 8
    }
    while j < theta.count {
        let gj = min(max(g[j], -clip), clip)
        m[j] = beta1 * m[j] + (1 - beta1) * gj
        v[j] = beta2 * v[j] + (1 - beta2) * gj * gj
        let mHat = m[j] / correction1, vHat = v[j] / correction2
        theta[j] -= rate * mHat / (vHat.squareRoot() + epsilon)
        j += 1
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

extension UnsafeBufferPointer<Float> {
    fileprivate func loadSIMD8(_ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutableBufferPointer<Float> {
    fileprivate func loadSIMD8(_ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    fileprivate func storeSIMD8(_ value: SIMD8<Float>, _ i: Int) {
        UnsafeMutableRawPointer(baseAddress! + i).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
