// conv → batch norm → ReLU from the patches' moments, and its pullback, against the unfused layer in
// plain loops (Double statistics), on awkward shapes: one row, odd channel counts, K = 9, 18 and 27,
// enough rows for several parallel chunks and depth chunks.

import Kernels
import Testing

@Suite struct PatchBatchNormTests {
    struct Shape: Sendable, CustomStringConvertible {
        let batch, size, inputChannels, outputChannels, stride: Int
        let padding: Padding
        var geometry: ConvGeometry {
            ConvGeometry(batch: batch, inputHeight: size, inputWidth: size, inputChannels: inputChannels,
                         kernelHeight: 3, kernelWidth: 3, stride: stride, padding: padding)
        }
        var description: String { "\(batch)×\(size)²×\(inputChannels) → \(outputChannels) stride \(stride)" }
    }

    static let shapes = [
        Shape(batch: 1, size: 3, inputChannels: 1, outputChannels: 10, stride: 1, padding: .valid),  // one row
        Shape(batch: 7, size: 13, inputChannels: 1, outputChannels: 13, stride: 2, padding: .symmetric(1)),
        Shape(batch: 5, size: 9, inputChannels: 3, outputChannels: 33, stride: 1, padding: .same),
        Shape(batch: 2, size: 7, inputChannels: 2, outputChannels: 65, stride: 2, padding: .valid),
        Shape(batch: 13, size: 28, inputChannels: 1, outputChannels: 64, stride: 2, padding: .symmetric(1)),
    ]

    @Test("forward and pullback match the unfused layer", arguments: shapes, [false, true])
    func matchesReference(shape: Shape, scaled: Bool) {
        let g = shape.geometry
        let (rows, width, cout) = (g.columnRows, g.columnWidth, shape.outputChannels)
        let seed = UInt64(rows * 7 + cout)
        let x = Buffer<Float>.random(g.inputCount, seed: seed, in: 0...1)
        let w = Buffer<Float>.random(width * cout, seed: seed + 1)
        let offset = Buffer<Float>.random(cout, seed: seed + 2, in: -0.5...0.5)
        let scale = Buffer<Float>.random(cout, seed: seed + 3, in: 0.5...2)
        let gradient = Buffer<Float>.random(rows * cout, seed: seed + 4)
        let (out, expected) = (Buffer<Float>(count: rows * cout, value: .nan), Buffer<Float>(count: rows * cout, value: .nan))
        let patches = Buffer<Float>(count: rows * (width + 1), value: .nan)
        let gram = Buffer<Float>(count: width * width, value: .nan), s = Buffer<Float>(count: cout, value: .nan)
        patchBatchNormReLU(x.input, weights: w.input, offset: offset.input, scale: scaled ? scale.input : nil, geometry: g,
                           outputChannels: cout, epsilon: 1e-3, into: out.output, patches: patches.output,
                           gram: gram.output, inverseStd: s.output)
        patchBatchNormReLUReference(x.input, weights: w.input, offset: offset.input, scale: scaled ? scale.input : nil,
                                    geometry: g, outputChannels: cout, epsilon: 1e-3, into: expected.output)
        #expect(maxRelativeError(out.array, expected.array) < 1e-4)
        if rows > 1 { #expect(out.array.contains(0) && out.array.contains { $0 > 0 }) }  // the mask matters

        let grads = (0..<6).map { Buffer<Float>(count: $0 % 3 == 0 ? width * cout : cout, value: .nan) }
        patchBatchNormReLUBackward(gradient.input, output: out.input, patches: patches.input, gram: gram.input,
                                   inverseStd: s.input, weights: w.input, scale: scaled ? scale.input : nil, rows: rows,
                                   outputChannels: cout, weightGradient: grads[0].output, scaleGradient: grads[1].output,
                                   offsetGradient: grads[2].output)
        patchBatchNormReLUBackwardReference(gradient.input, output: out.input, x: x.input, weights: w.input,
                                            scale: scaled ? scale.input : nil, geometry: g, outputChannels: cout,
                                            epsilon: 1e-3, weightGradient: grads[3].output,
                                            scaleGradient: grads[4].output, offsetGradient: grads[5].output)
        for i in 0..<3 { #expect(maxRelativeError(grads[i].array, grads[i + 3].array) < 1e-3, "output \(i)") }
    }

    @Test("the policy: patches shorter than the output channels and within the deep path")
    func policy() {
        #expect(patchBatchNormPays(patchSize: 9, outputChannels: 64))   // W2's first layer
        #expect(patchBatchNormPays(patchSize: 27, outputChannels: 32))  // W3's first layer
        #expect(!patchBatchNormPays(patchSize: 576, outputChannels: 64))  // a later layer
        #expect(!patchBatchNormPays(patchSize: 18, outputChannels: 18))
        #expect(!patchBatchNormPays(patchSize: 32, outputChannels: 64))  // [P | 1] would be 33 rows deep
    }
}
