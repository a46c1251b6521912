// conv → batch norm → ReLU as one op (`convolvedBatchNormalizedReLU`): where it computes the layer
// from the patches' moments (patches shorter than the output channels, constant input), its value,
// gradient, JVP and HVP agree with the unfused ops up to rounding, its HVP pass gives the plain
// gradient bit for bit, and finite differences agree (here and in DerivativeCases). Everywhere else it
// is the unfused ops, bit for bit.

import Autodiff
import Kernels
import Testing
import TestSupport

@Suite("conv → batch norm → ReLU in one op")
struct ConvBatchNormReLUTests {
    /// A first layer: images [b, h, w, cin] (constant), weights [3, 3, cin, cout], optional β and γ.
    struct Layer: Sendable, CustomStringConvertible {
        let batch, size, inputChannels, outputChannels, stride: Int
        let padding: Padding
        let offset, scale: Bool
        var description: String {
            let input = "\(batch)×\(size)×\(size)×\(inputChannels)"
            return input + " → \(outputChannels), stride \(stride), offset \(offset), scale \(scale)"
        }
    }

    static let layers = [
        Layer(batch: 6, size: 9, inputChannels: 1, outputChannels: 16, stride: 2, padding: .symmetric(1), offset: true, scale: true),
        Layer(batch: 5, size: 7, inputChannels: 1, outputChannels: 13, stride: 2, padding: .symmetric(1), offset: true, scale: false),
        Layer(batch: 3, size: 6, inputChannels: 3, outputChannels: 32, stride: 1, padding: .same, offset: true, scale: false),
        Layer(batch: 2, size: 5, inputChannels: 1, outputChannels: 10, stride: 1, padding: .valid, offset: false, scale: true),
    ]

    /// Inputs [weights, (offset), (scale)] and a loss of them: Σ w⊙y + ¼Σy² with the images constant,
    /// through the fused op (`fused`) or through conv2D and batchNormalizedReLU.
    /// `offsetShift` moves β up: with β ≥ 4 and |γ| ≤ 1, no output is near ReLU's kink, where central
    /// differences across it would be wrong.
    func problem(_ layer: Layer, seed: UInt64, offsetShift: Float = 0) -> (inputs: [Tensor], loss: (Bool) -> ScalarFunction) {
        var generator = TestGenerator(seed: seed)
        let images = Tensor.randomUniform(shape: [layer.batch, layer.size, layer.size, layer.inputChannels],
                                          in: 0...1, using: &generator)
        var inputs = [Tensor.randomNormal(shape: [3, 3, layer.inputChannels, layer.outputChannels],
                                          standardDeviation: 0.5, using: &generator)]
        if layer.offset {
            inputs.append(Tensor.randomNormal(shape: [layer.outputChannels], mean: offsetShift, standardDeviation: 0.3,
                                              using: &generator))
        }
        if layer.scale {
            let scale = Tensor.randomNormal(shape: [layer.outputChannels], using: &generator)
            inputs.append(offsetShift == 0 ? scale : scale.map { max(-1, min(1, $0)) })
        }
        let loss = { (fused: Bool) -> ScalarFunction in
            { p in
                let x = p[0].constant(images)
                let offset = layer.offset ? p[1] : nil
                let scale = layer.scale ? p[layer.offset ? 2 : 1] : nil
                let y = fused
                    ? x.convolvedBatchNormalizedReLU(weights: p[0], stride: layer.stride, padding: layer.padding,
                                                     offset: offset, scale: scale)
                    : conv2D(x, weights: p[0], stride: layer.stride, padding: layer.padding)
                        .batchNormalizedReLU(offset: offset, scale: scale)
                return scalarize(offsetShift == 0 ? y : y.adding(-offsetShift))  // (terms of order 1)
            }
        }
        return (inputs, loss)
    }

    @Test("fused value and gradients agree with the unfused ops", arguments: layers)
    func fusedAgrees(layer: Layer) {
        let (inputs, loss) = problem(layer, seed: UInt64(layer.outputChannels * 31 + layer.size))
        let fused = valueWithGradient(at: inputs, in: loss(true))
        let unfused = valueWithGradient(at: inputs, in: loss(false))
        #expect(isClose(Double(fused.value), Double(unfused.value), relativeTolerance: 1e-5, absoluteTolerance: 1e-4))
        for (a, b) in zip(fused.gradient, unfused.gradient) { #expect(relativeError(a, b) < 2e-4) }
        // The fused route ran: its rounding differs from the unfused ops' somewhere.
        let bits = { (tensors: [Tensor]) in tensors.flatMap { $0.scalars.map(\.bitPattern) } }
        #expect(bits(fused.gradient) != bits(unfused.gradient))
    }

    @Test("JVP and HVP agree with the unfused ops; the HVP pass gives the plain gradient's bits", arguments: layers)
    func tangentsAgree(layer: Layer) {
        let (inputs, loss) = problem(layer, seed: UInt64(layer.outputChannels * 37 + layer.size))
        var generator = TestGenerator(seed: 5)
        let v = inputs.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        let (a, b) = (hessianVectorProduct(at: inputs, along: v, in: loss(true)),
                      hessianVectorProduct(at: inputs, along: v, in: loss(false)))
        for (x, y) in zip(a.hessianVector, b.hessianVector) { #expect(relativeError(x, y) < 5e-4) }
        let (fusedJVP, unfusedJVP) = (jvp(at: inputs, along: v, in: loss(true)).derivative,
                                      jvp(at: inputs, along: v, in: loss(false)).derivative)
        #expect(isClose(Double(fusedJVP), Double(unfusedJVP), relativeTolerance: 1e-4, absoluteTolerance: 1e-4))
        let plain = gradient(at: inputs, in: loss(true))
        #expect(a.gradient.map { $0.scalars.map(\.bitPattern) } == plain.map { $0.scalars.map(\.bitPattern) })
    }

    @Test("a tangent arriving from later ops: the HVP agrees with the unfused ops")
    func tangentFromLaterOps() {
        // The HVP moves only a scale applied after the layer: the layer's forward has no tangents
        // (fused), but its cotangent does.
        let layer = Self.layers[0]
        let (inputs, _) = problem(layer, seed: 11)
        var generator = TestGenerator(seed: 12)
        let images = Tensor.randomUniform(shape: [layer.batch, layer.size, layer.size, 1], in: 0...1, using: &generator)
        let after = Tensor.randomNormal(shape: [layer.outputChannels], using: &generator)
        func loss(fused: Bool) -> ScalarFunction {
            { p in
                let x = p[0].constant(images)
                let y = fused
                    ? x.convolvedBatchNormalizedReLU(weights: p[0], stride: 2, padding: .symmetric(1), offset: p[1], scale: p[2])
                    : conv2D(x, weights: p[0], stride: 2, padding: .symmetric(1)).batchNormalizedReLU(offset: p[1], scale: p[2])
                let rows = y.value.count / layer.outputChannels
                return scalarize(y.reshaped(to: [rows, layer.outputChannels]) * p[3].broadcast(alongAxis: 0, size: rows))
            }
        }
        let point = inputs + [after]
        let v: [Tensor?] = [nil, nil, nil, Tensor.randomNormal(shape: after.shape, using: &generator)]
        let (a, b) = (hessianVectorProduct(at: point, along: v, in: loss(fused: true)),
                      hessianVectorProduct(at: point, along: v, in: loss(fused: false)))
        for (x, y) in zip(a.hessianVector, b.hessianVector) { #expect(relativeError(x, y) < 2e-4) }
        #expect(a.hessianVector[0].scalars.contains { $0 != 0 })
    }

    @Test("an input that needs a gradient takes the unfused ops: the same bits")
    func inputGradientFallsBack() {
        var generator = TestGenerator(seed: 21)
        let x = Tensor.randomNormal(shape: [4, 6, 6, 1], using: &generator)
        let w = Tensor.randomNormal(shape: [3, 3, 1, 12], using: &generator)
        let beta = Tensor.randomNormal(shape: [12], using: &generator)
        let fused: ScalarFunction = { p in
            scalarize(p[0].convolvedBatchNormalizedReLU(weights: p[1], stride: 2, padding: .symmetric(1), offset: p[2]))
        }
        let unfused: ScalarFunction = { p in
            scalarize(conv2D(p[0], weights: p[1], stride: 2, padding: .symmetric(1)).batchNormalizedReLU(offset: p[2]))
        }
        let (a, b) = (valueWithGradient(at: [x, w, beta], in: fused), valueWithGradient(at: [x, w, beta], in: unfused))
        #expect(a.value.bitPattern == b.value.bitPattern)
        #expect(a.gradient.map { $0.scalars.map(\.bitPattern) } == b.gradient.map { $0.scalars.map(\.bitPattern) })
    }

    @Test("patches as long as the output is wide take the unfused ops: the same bits")
    func widePatchesFallBack() {
        let layer = Layer(batch: 3, size: 6, inputChannels: 2, outputChannels: 18, stride: 2, padding: .symmetric(1),
                          offset: true, scale: true)  // K = 18 = cout
        let (inputs, loss) = problem(layer, seed: 31)
        let (a, b) = (valueWithGradient(at: inputs, in: loss(true)), valueWithGradient(at: inputs, in: loss(false)))
        #expect(a.gradient.map { $0.scalars.map(\.bitPattern) } == b.gradient.map { $0.scalars.map(\.bitPattern) })
    }

    @Test("gradient and HVP match finite differences", arguments: layers.filter { $0.offset && $0.inputChannels == 1 })
    func finiteDifferences(layer: Layer) {
        let (inputs, loss) = problem(layer, seed: UInt64(layer.outputChannels * 41 + layer.size), offsetShift: 4)
        let f = loss(true)
        let analytic = gradient(at: inputs, in: f)
        let numeric = numericalGradient(of: f, at: inputs, step: 1e-2)
        for (a, n) in zip(analytic, numeric) { #expect(relativeError(a, n) < 2e-3, "gradient \(a.scalars) vs \(n)") }
        var generator = TestGenerator(seed: 43)
        let v = inputs.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
        let hvp = hessianVectorProduct(at: inputs, along: v, in: f).hessianVector
        let numericHVP = numericalHessianVectorProduct(of: f, at: inputs, along: v, step: 1e-2)
        for (a, n) in zip(hvp, numericHVP) { #expect(relativeError(a, n) < 5e-3, "HVP \(a.scalars) vs \(n)") }
    }

    @Test("the op's pullback does not keep its tape alive (a closure holding a Variable would)")
    func tapeIsReleased() {
        weak var released: Tape?
        do {
            let tape = Tape()
            released = tape
            var generator = TestGenerator(seed: 51)
            let x = tape.constant(Tensor.randomUniform(shape: [2, 7, 7, 1], in: 0...1, using: &generator))
            let w = tape.variable(Dual(Tensor.randomNormal(shape: [3, 3, 1, 12], using: &generator)))
            let beta = tape.variable(Dual(Tensor(zeros: [12])))
            let y = x.convolvedBatchNormalizedReLU(weights: w, stride: 2, padding: .symmetric(1), offset: beta)
            let grads = tape.gradients(of: y.sum(), at: [w, beta])
            #expect(grads[0].value.scalars.contains { $0 != 0 })
        }
        #expect(released == nil)
    }
}
