// The patch-moment kernels of a first layer's batch norm (PatchBatchNorm.swift, PatchGram.swift)
// against plain loops, on awkward shapes: one row, K = 9, 18 and 27, odd channel counts, enough rows
// for several parallel chunks, Gram blocks and depth chunks. The layer they build is checked against
// the unfused ops in AutodiffTests (ConvBatchNormReLUTests).

import Kernels
import Testing

@Suite struct PatchBatchNormTests {
    struct Shape: Sendable, CustomStringConvertible {
        let batch, size, inputChannels, outputChannels, stride: Int
        let padding: Padding
        var kernel = 3
        var geometry: ConvGeometry {
            ConvGeometry(batch: batch, inputHeight: size, inputWidth: size, inputChannels: inputChannels,
                         kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding)
        }
        var description: String { "\(batch)×\(size)²×\(inputChannels) → \(outputChannels) k\(kernel) stride \(stride)" }
    }

    static let shapes = [
        Shape(batch: 1, size: 3, inputChannels: 1, outputChannels: 10, stride: 1, padding: .valid),  // one row
        Shape(batch: 7, size: 13, inputChannels: 1, outputChannels: 13, stride: 2, padding: .symmetric(1)),
        Shape(batch: 5, size: 9, inputChannels: 3, outputChannels: 33, stride: 1, padding: .same),
        Shape(batch: 2, size: 7, inputChannels: 2, outputChannels: 65, stride: 2, padding: .valid),
        Shape(batch: 13, size: 28, inputChannels: 1, outputChannels: 64, stride: 2, padding: .symmetric(1)),
        // K = 1 and 2: patch rows of 2 and 3 floats, so the Gram's 8-float loads pass several rows' ends.
        Shape(batch: 3, size: 5, inputChannels: 1, outputChannels: 5, stride: 1, padding: .valid, kernel: 1),
        Shape(batch: 2, size: 6, inputChannels: 2, outputChannels: 7, stride: 2, padding: .valid, kernel: 1),
    ]

    @Test("patchMoments: centred patches with a column of ones, and their Gram matrix", arguments: shapes)
    func moments(shape: Shape) {
        let g = shape.geometry
        let (rows, width) = (g.columnRows, g.columnWidth)
        let x = Buffer<Float>.random(g.inputCount, seed: UInt64(rows), in: 0...1)
        let patches = (0..<2).map { _ in Buffer<Float>(count: rows * (width + 1), value: .nan) }
        let gram = (0..<2).map { _ in Buffer<Float>(count: width * width, value: .nan) }
        patchMoments(x.input, geometry: g, patches: patches[0].output, gram: gram[0].output)
        patchMomentsReference(x.input, geometry: g, patches: patches[1].output, gram: gram[1].output)
        #expect(maxRelativeError(patches[0].array, patches[1].array) < 1e-5)
        #expect(maxRelativeError(gram[0].array, gram[1].array) < 1e-5)
        if rows > 1 { #expect(gram[0].array.contains { $0 != 0 }) }
    }

    /// Random patches [rows × (K+1)], a random [rows × cout] map and a mask of the same size.
    func operands(_ shape: Shape, seed: Int) -> (rows: Int, depth: Int, cout: Int, patches: Buffer<Float>,
                                                  map: Buffer<Float>, mask: Buffer<Float>) {
        let g = shape.geometry
        let (rows, depth, cout) = (g.columnRows, g.columnWidth + 1, shape.outputChannels)
        return (rows, depth, cout, Buffer<Float>.random(rows * depth, seed: UInt64(rows + seed)),
                Buffer<Float>.random(rows * cout, seed: UInt64(rows + seed + 1)),
                Buffer<Float>.random(rows * cout, seed: UInt64(rows + seed + 2)))
    }

    @Test("patchProduct: ReLU(P·W), or P·W where a mask is positive", arguments: shapes)
    func product(shape: Shape) {
        let (rows, depth, cout, patches, _, mask) = operands(shape, seed: 1)
        let weights = Buffer<Float>.random(depth * cout, seed: UInt64(rows + 9))
        let product = Buffer<Float>(count: rows * cout, value: .nan)
        matmulReference(patches.input, weights.input, into: product.output, m: rows, n: cout, k: depth)
        let (rectified, masked) = (Buffer<Float>(count: rows * cout, value: .nan), Buffer<Float>(count: rows * cout, value: .nan))
        patchProduct(patches.input, weights: weights.input, rows: rows, outputChannels: cout, into: rectified.output)
        patchProduct(patches.input, weights: weights.input, rows: rows, outputChannels: cout, into: masked.output,
                     keepingWherePositive: mask.input)
        #expect(maxRelativeError(rectified.array, product.array.map { max($0, 0) }) < 1e-5)
        #expect(maxRelativeError(masked.array, zip(product.array, mask.array).map { $1 > 0 ? $0 : 0 }) < 1e-5)
        if rows > 1 { #expect(rectified.array.contains(0) && rectified.array.contains { $0 > 0 }) }
    }

    @Test("patchMaskedMoments: Pᵀ·(ḡ where the mask is positive)", arguments: shapes)
    func maskedMoments(shape: Shape) {
        let (rows, depth, cout, patches, gradient, mask) = operands(shape, seed: 4)
        let maskedGradient = Buffer<Float>(zip(gradient.array, mask.array).map { $1 > 0 ? $0 : 0 })
        let (moments, expected) = (Buffer<Float>(count: depth * cout, value: .nan), Buffer<Float>(count: depth * cout, value: .nan))
        patchMaskedMoments(gradient.input, mask: mask.input, patches: patches.input, rows: rows, outputChannels: cout,
                           into: moments.output)
        matmulReference(patches.input, maskedGradient.input, into: expected.output, m: depth, n: cout, k: rows,
                        transposeA: true)
        #expect(maxRelativeError(moments.array, expected.array) < 1e-4)
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
