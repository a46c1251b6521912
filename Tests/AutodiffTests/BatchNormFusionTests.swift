// The fused batch-norm primitive (hand-derived JVP of its pullback) against the composite of
// elementary ops: same values, gradients and Hessian-vector products, on awkward sizes. Batch norm
// with ReLU, and batch norm with max-pool, in one op against the two ops: the same bits.

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

    @Test("batchNormalizedReLU = batchNormalized then relu, bit for bit: value, gradient, HVP, JVP",
          arguments: [(1, 1), (7, 3), (13, 9), (33, 17), (65, 8)])
    func reluFusionSameBits(rows: Int, channels: Int) {
        var generator = TestGenerator(seed: UInt64(rows * 1000 + channels))
        let x = Tensor.randomNormal(shape: [2, rows, 1, channels], using: &generator)
        let beta = Tensor.randomNormal(shape: [channels], standardDeviation: 0.5, using: &generator)
        let gamma = Tensor.randomNormal(shape: [channels], using: &generator)
        let weights = Tensor.randomNormal(shape: x.shape, using: &generator)
        let v = [x, beta, gamma].map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        func loss(fused: Bool, scaled: Bool) -> ScalarFunction {
            { p in
                let scale = scaled ? p[2] : nil
                let y = fused ? p[0].batchNormalizedReLU(offset: p[1], scale: scale)
                    : p[0].batchNormalized(offset: p[1], scale: scale).relu()
                return (y * y.constant(weights)).sum() + y.squared().sum().scaled(by: 0.25)
            }
        }
        for scaled in [false, true] {
            expectSameBits(at: [x, beta, gamma], along: v, loss(fused: true, scaled: scaled), loss(fused: false, scaled: scaled))
            let jvps = [true, false].map { jvp(at: [x, beta, gamma], along: v, in: loss(fused: $0, scaled: scaled)) }
            #expect(jvps[0].derivative.bitPattern == jvps[1].derivative.bitPattern)
        }
        // Some outputs are clipped and some are not, or this would not test the mask.
        let tape = Tape()
        let output = tape.variable(Dual(x)).batchNormalizedReLU(offset: tape.variable(Dual(beta))).value.scalars
        if rows > 1 {
            #expect(output.contains(0) && output.contains { $0 > 0 })
        }
    }

    @Test("batchNormalizedMaxPool2x2 = batchNormalized then maxPool2x2, bit for bit: value, gradient, HVP",
          arguments: [(1, 1, 1), (4, 5, 3), (7, 6, 9), (5, 5, 17)], [false, true])
    func maxPoolFusionSameBits(size: (Int, Int, Int), ceilMode: Bool) {
        let (height, width, channels) = size
        var generator = TestGenerator(seed: UInt64(height * 100 + width * 10 + channels))
        let x = Tensor.randomNormal(shape: [3, height, width, channels], using: &generator)
        let beta = Tensor.randomNormal(shape: [channels], standardDeviation: 0.5, using: &generator)
        let gamma = Tensor.randomNormal(shape: [channels], using: &generator)
        let v = [x, beta, gamma].map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        func loss(fused: Bool, scaled: Bool) -> ScalarFunction {
            { p in
                let scale = scaled ? p[2] : nil
                let y = fused ? p[0].batchNormalizedMaxPool2x2(offset: p[1], scale: scale, ceilMode: ceilMode)
                    : p[0].batchNormalized(offset: p[1], scale: scale).maxPool2x2(ceilMode: ceilMode)
                return y.squared().sum() + y.sum().scaled(by: 0.5)
            }
        }
        for scaled in [false, true] {
            expectSameBits(at: [x, beta, gamma], along: v, loss(fused: true, scaled: scaled), loss(fused: false, scaled: scaled))
        }
    }

    /// f and g have the same value, gradient and HVP along v, bit for bit.
    func expectSameBits(at point: [Tensor], along v: [Tensor?], _ f: @escaping ScalarFunction, _ g: @escaping ScalarFunction,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let bits = { (tensors: [Tensor]) in tensors.map { $0.scalars.map(\.bitPattern) } }
        let (a, b) = (hessianVectorProduct(at: point, along: v, in: f), hessianVectorProduct(at: point, along: v, in: g))
        #expect(a.value.bitPattern == b.value.bitPattern, sourceLocation: sourceLocation)
        #expect(bits(a.gradient) == bits(b.gradient), sourceLocation: sourceLocation)
        #expect(bits(a.hessianVector) == bits(b.hessianVector), sourceLocation: sourceLocation)
    }
}
