// ConvNet4 skips its conv biases because batch norm with batch statistics cancels them: check the
// identity against the network with the biases added, for values and gradients.

import Autodiff
@testable import NN
import Testing
import TestSupport

@Suite("ConvNet4 conv biases") struct ConvNet4BiasTests {
    static let networks: [(String, ConvNet4)] = {
        var maxPool = ConvNet4(imageSize: 16, inputChannels: 3, filters: 5, way: 3, downsampling: .maxPool, head: .flatten)
        maxPool.batchNormScale = true
        let stride2 = ConvNet4(imageSize: 9, inputChannels: 1, filters: 6, way: 4, downsampling: .stride2, head: .spatialMean)
        return [("max-pool, scale", maxPool), ("stride 2", stride2)]
    }()

    @Test("BN(x·W + b) = BN(x·W): logits and weight gradients agree with the biases added; biases get 0",
          arguments: [0, 1])
    func biasesCancel(network index: Int) {
        let net = Self.networks[index].1
        var generator = TestGenerator(seed: 31 + UInt64(index))
        var parameters = net.initialParameters(using: &generator)
        for block in 1...4 {  // biases far from zero, so adding them would show
            let i = parameters.index(of: "conv\(block)/bias")!
            parameters.tensors[i] = Tensor.randomNormal(shape: [net.filters], standardDeviation: 3, using: &generator)
        }
        let images = Tensor.randomUniform(shape: [7, net.imageSize, net.imageSize, net.inputChannels], in: 0...1,
                                          using: &generator)
        let mix = Tensor.randomNormal(shape: [7, net.way], standardDeviation: 1, using: &generator)
        func loss(addingBiases: Bool) -> ScalarFunction {
            { p in (net.logits(p[0].tape.constant(images), parameters: p, addingConvBiases: addingBiases)
                * p[0].tape.constant(mix)).sum() }
        }
        let skipped = valueWithGradient(at: parameters.tensors, in: loss(addingBiases: false))
        let added = valueWithGradient(at: parameters.tensors, in: loss(addingBiases: true))
        #expect(abs(skipped.value - added.value) <= 1e-4 * max(1, abs(added.value)))
        for (i, name) in parameters.names.enumerated() {
            let a = skipped.gradient[i].scalars, b = added.gradient[i].scalars
            if name.hasSuffix("/bias") && name.hasPrefix("conv") {
                #expect(a.allSatisfy { $0 == 0 }, "\(name) should get an exact zero gradient")
                #expect(b.allSatisfy { abs($0) < 1e-3 }, "\(name) with the bias added: \(b)")
                continue
            }
            let scale = max(1, b.map(abs).max() ?? 0)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 2e-4 * scale, "\(name): gradients differ by \(worst) (scale \(scale))")
        }
    }
}
