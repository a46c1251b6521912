// ConvNet4 with max-pool applies ReLU after pooling (ReLU and max-pool commute): check that the
// value, the gradient and a Hessian-vector product have the same bits as ReLU before max-pool.

import Autodiff
@testable import NN
import Testing
import TestSupport

@Suite("ConvNet4 ReLU after max-pool") struct ConvNet4PoolOrderTests {
    @Test("max-pool then ReLU has the same bits as ReLU then max-pool: value, gradient and HVP",
          arguments: [false, true])
    func sameBits(batchNormScale: Bool) {
        var net = ConvNet4(imageSize: 10, inputChannels: 2, filters: 4, way: 3, downsampling: .maxPool, head: .flatten)
        net.batchNormScale = batchNormScale
        var generator = TestGenerator(seed: 71)
        let parameters = net.initialParameters(using: &generator).tensors
        let directions: [Tensor?] = parameters.map {
            Tensor.randomNormal(shape: $0.shape, standardDeviation: 1, using: &generator)
        }
        let images = Tensor.randomUniform(shape: [6, 10, 10, 2], in: 0...1, using: &generator)
        let mix = Tensor.randomNormal(shape: [6, 3], standardDeviation: 1, using: &generator)
        func loss(reluBeforePool: Bool) -> ScalarFunction {
            { p in
                let logits = net.logits(p[0].tape.constant(images), parameters: p, addingConvBiases: false,
                                        reluBeforePool: reluBeforePool)
                return (logits * p[0].tape.constant(mix)).sum() + logits.squared().sum()
            }
        }
        let pooledFirst = hessianVectorProduct(at: parameters, along: directions, in: loss(reluBeforePool: false))
        let reluFirst = hessianVectorProduct(at: parameters, along: directions, in: loss(reluBeforePool: true))
        #expect(pooledFirst.value.bitPattern == reluFirst.value.bitPattern)
        #expect(pooledFirst.gradient.map { $0.scalars.map(\.bitPattern) } == reluFirst.gradient.map { $0.scalars.map(\.bitPattern) })
        #expect(pooledFirst.hessianVector.map { $0.scalars.map(\.bitPattern) }
            == reluFirst.hessianVector.map { $0.scalars.map(\.bitPattern) })
        #expect(pooledFirst.hessianVector.contains { $0.scalars.contains { $0 != 0 } })
    }
}
