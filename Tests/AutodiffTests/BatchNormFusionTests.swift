// The fused batch-norm primitive (hand-derived JVP of its pullback) against the composite of
// elementary ops: same values, gradients and Hessian-vector products, on awkward sizes.

import Autodiff
import Testing
import TestSupport

@Suite("Fused batch norm equals the composite")
struct BatchNormFusionTests {
    @Test("value, gradient and HVP agree", arguments: [(1, 1), (7, 3), (13, 9), (33, 17), (65, 8)])
    func agrees(rows: Int, channels: Int) {
        var generator = TestGenerator(seed: UInt64(rows * 100 + channels))
        let x = Tensor.randomNormal(shape: [rows, channels], using: &generator)
        let beta = Tensor.randomNormal(shape: [channels], using: &generator)
        let gamma = Tensor.randomNormal(shape: [channels], using: &generator)
        let weights = Tensor.randomNormal(shape: [rows, channels], using: &generator)
        let v = [x, beta, gamma].map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        func loss(fused: Bool) -> ScalarFunction {
            { p in
                let y = fused ? p[0].batchNormalized(offset: p[1], scale: p[2])
                    : p[0].batchNormalizedComposite(offset: p[1], scale: p[2])
                return (y * y.constant(weights)).sum() + y.squared().sum().scaled(by: 0.25)
            }
        }
        let fused = hessianVectorProduct(at: [x, beta, gamma], along: v, in: loss(fused: true))
        let composite = hessianVectorProduct(at: [x, beta, gamma], along: v, in: loss(fused: false))
        #expect(isClose(Double(fused.value), Double(composite.value), relativeTolerance: 1e-5, absoluteTolerance: 1e-4))
        for (a, b) in zip(fused.gradient, composite.gradient) { #expect(relativeError(a, b) < 1e-4) }
        for (a, b) in zip(fused.hessianVector, composite.hessianVector) { #expect(relativeError(a, b) < 1e-3) }
    }
}
