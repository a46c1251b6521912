// One Adam step on one tensor in place (Kingma & Ba 2015, Algorithm 1), eight lanes at a time.
// `NN.Adam` keeps the optimizer's state and calls this once per parameter tensor.

/// The settings of one Adam step; `correction1` = 1 − β₁ᵗ and `correction2` = 1 − β₂ᵗ at step t,
/// and each gradient element is clipped to [−clip, clip] first (`.infinity`: no clipping).
public struct AdamStepSettings: Sendable {
    public var learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, clip: Float
    public var correction1: Float, correction2: Float

    public init(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, clip: Float,
                correction1: Float, correction2: Float) {
        (self.learningRate, self.beta1, self.beta2, self.epsilon, self.clip) = (learningRate, beta1, beta2, epsilon, clip)
        (self.correction1, self.correction2) = (correction1, correction2)
    }
}

/// m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − lr·(m/c₁)/(√(v/c₂) + ε), with g clipped.
/// The vector loop performs the same IEEE operations in the same order as `adamUpdateReference`,
/// so every element gets the same bits; a NaN gradient element stays NaN (clipped or not).
public func adamUpdate(_ theta: UnsafeMutableBufferPointer<Float>, firstMoments m: UnsafeMutableBufferPointer<Float>,
                       secondMoments v: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                       _ s: AdamStepSettings) {
    checkAdamSizes(theta.count, m.count, v.count, g.count)
    guard let pt = theta.baseAddress, let pm = m.baseAddress, let pv = v.baseAddress, let pg = g.baseAddress else { return }
    var j = 0
    while j + 8 <= theta.count {
        var gj = load8(pg + j)
        gj.replace(with: -s.clip, where: gj .< -s.clip)
        gj.replace(with: s.clip, where: gj .> s.clip)
        let mj = s.beta1 * load8(pm + j) + (1 - s.beta1) * gj
        let vj = s.beta2 * load8(pv + j) + (1 - s.beta2) * gj * gj
        store8(mj, pm + j)
        store8(vj, pv + j)
        let mHat = mj / s.correction1, vHat = vj / s.correction2
        store8(load8(pt + j) - s.learningRate * mHat / (vHat.squareRoot() + s.epsilon), pt + j)
        j += 8
    }
    adamUpdateReference(UnsafeMutableBufferPointer(rebasing: theta[j...]),
                        firstMoments: UnsafeMutableBufferPointer(rebasing: m[j...]),
                        secondMoments: UnsafeMutableBufferPointer(rebasing: v[j...]),
                        gradient: UnsafeBufferPointer(rebasing: g[j...]), s)
}

/// Plain-loop specification of `adamUpdate` (also its scalar tail).
public func adamUpdateReference(_ theta: UnsafeMutableBufferPointer<Float>, firstMoments m: UnsafeMutableBufferPointer<Float>,
                                secondMoments v: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                                _ s: AdamStepSettings) {
    checkAdamSizes(theta.count, m.count, v.count, g.count)
    for j in theta.indices {
        let gj = min(max(g[j], -s.clip), s.clip)
        m[j] = s.beta1 * m[j] + (1 - s.beta1) * gj
        v[j] = s.beta2 * v[j] + (1 - s.beta2) * gj * gj
        let mHat = m[j] / s.correction1, vHat = v[j] / s.correction2
        theta[j] -= s.learningRate * mHat / (vHat.squareRoot() + s.epsilon)
    }
}

func checkAdamSizes(_ theta: Int, _ m: Int, _ v: Int, _ g: Int) {
    precondition(m == theta && v == theta && g == theta,
                 "adamUpdate: θ has \(theta) elements, m \(m), v \(v), gradient \(g); they must match")
}
