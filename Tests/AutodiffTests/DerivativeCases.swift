// The table of differentiable ops under test: each case builds a scalar function of its inputs
// (the op's output contracted with fixed weights plus a quadratic term, so that even linear ops
// have a non-zero Hessian that must flow through their pullbacks).

import Autodiff
import Kernels
import TestSupport

/// How to draw an input: any sign (kept away from 0 for kinks), positive (for log, ÷, rsqrt), or
/// distinct values at least 0.1 apart (max-pool: a perturbation must not change which element wins).
enum InputKind: Sendable { case signed, positive, distinct }

struct DerivativeCase: Sendable {
    let name: String
    let inputs: [([Int], InputKind)]
    let function: @Sendable ([Variable]) -> Variable
}

/// Σ w⊙y + ¼ Σ y²: makes any op's output a scalar with curvature.
func scalarize(_ y: Variable) -> Variable {
    var generator = TestGenerator(seed: UInt64(y.value.count) &* 7919)
    let weights = Tensor.randomNormal(shape: y.shape, using: &generator)
    return (y * y.constant(weights)).sum() + y.squared().sum().scaled(by: 0.25)
}

let derivativeCases: [DerivativeCase] = [
    DerivativeCase(name: "add", inputs: [([3, 4], .signed), ([3, 4], .signed)]) { scalarize($0[0] + $0[1]) },
    DerivativeCase(name: "subtract", inputs: [([3, 4], .signed), ([3, 4], .signed)]) { scalarize($0[0] - $0[1]) },
    DerivativeCase(name: "multiply", inputs: [([3, 4], .signed), ([3, 4], .signed)]) { scalarize($0[0] * $0[1]) },
    DerivativeCase(name: "divide", inputs: [([3, 4], .signed), ([3, 4], .positive)]) { scalarize($0[0] / $0[1]) },
    DerivativeCase(name: "scaled-adding", inputs: [([5], .signed)]) { scalarize($0[0].scaled(by: -1.5).adding(0.3)) },
    DerivativeCase(name: "matmul", inputs: [([3, 4], .signed), ([4, 5], .signed)]) { scalarize(matmul($0[0], $0[1])) },
    DerivativeCase(name: "matmul-transposeA", inputs: [([4, 3], .signed), ([4, 5], .signed)]) {
        scalarize(matmul($0[0], $0[1], transposeA: true))
    },
    DerivativeCase(name: "matmul-transposeB", inputs: [([3, 4], .signed), ([5, 4], .signed)]) {
        scalarize(matmul($0[0], $0[1], transposeB: true))
    },
    DerivativeCase(name: "matmul-transposeAB", inputs: [([4, 3], .signed), ([5, 4], .signed)]) {
        scalarize(matmul($0[0], $0[1], transposeA: true, transposeB: true))
    },
    // Wider than deep (n > 2k): the tangent's two products are joined along k into one GEMM.
    DerivativeCase(name: "matmul-wide", inputs: [([3, 2], .signed), ([2, 7], .signed)]) { scalarize(matmul($0[0], $0[1])) },
    DerivativeCase(name: "matmul-wide-transposeAB", inputs: [([2, 3], .signed), ([7, 2], .signed)]) {
        scalarize(matmul($0[0], $0[1], transposeA: true, transposeB: true))
    },
    DerivativeCase(name: "sum-axis0", inputs: [([2, 3, 4], .signed)]) { scalarize($0[0].sum(alongAxis: 0)) },
    DerivativeCase(name: "sum-axis1", inputs: [([2, 3, 4], .signed)]) { scalarize($0[0].sum(alongAxis: 1)) },
    DerivativeCase(name: "sum-axis2", inputs: [([2, 3, 4], .signed)]) { scalarize($0[0].sum(alongAxis: 2)) },
    DerivativeCase(name: "broadcast", inputs: [([3, 2], .signed)]) { scalarize($0[0].broadcast(alongAxis: 1, size: 4)) },
    DerivativeCase(name: "reshape-transpose", inputs: [([2, 6], .signed)]) {
        scalarize($0[0].reshaped(to: [3, 4]).transposed())
    },
    DerivativeCase(name: "exp", inputs: [([7], .signed)]) { scalarize($0[0].exp()) },
    DerivativeCase(name: "log", inputs: [([7], .positive)]) { scalarize($0[0].log()) },
    DerivativeCase(name: "relu", inputs: [([7], .signed)]) { scalarize($0[0].relu()) },
    DerivativeCase(name: "leakyRelu", inputs: [([7], .signed)]) { scalarize($0[0].leakyRelu(slope: 0.1)) },
    DerivativeCase(name: "elu", inputs: [([7], .signed)]) { scalarize($0[0].elu(alpha: 0.7)) },
    DerivativeCase(name: "sigmoid", inputs: [([7], .signed)]) { scalarize($0[0].sigmoid()) },
    DerivativeCase(name: "softplus", inputs: [([7], .signed)]) { scalarize($0[0].softplus()) },
    DerivativeCase(name: "squared", inputs: [([7], .signed)]) { scalarize($0[0].squared()) },
    DerivativeCase(name: "reciprocalSquareRoot", inputs: [([7], .positive)]) { scalarize($0[0].reciprocalSquareRoot()) },
    DerivativeCase(name: "logSoftmax", inputs: [([3, 5], .signed)]) { scalarize($0[0].logSoftmaxRows()) },
    DerivativeCase(name: "softmaxCrossEntropy-mask", inputs: [([4, 3], .signed)]) {
        scalarize($0[0].softmaxCrossEntropy(labels: [2, 0, 1, 2], mask: Tensor(shape: [4], scalars: [1, 0, 1, 0.5])))
    },
    DerivativeCase(name: "conv2D-same-stride1", inputs: [([2, 5, 5, 2], .signed), ([3, 3, 2, 3], .signed), ([3], .signed)]) {
        scalarize(conv2D($0[0], weights: $0[1], bias: $0[2], stride: 1, padding: .same))
    },
    DerivativeCase(name: "conv2D-pad1-stride2", inputs: [([2, 7, 7, 1], .signed), ([3, 3, 1, 4], .signed)]) {
        scalarize(conv2D($0[0], weights: $0[1], stride: 2, padding: .symmetric(1)))
    },
    // Nine 4×4×8 images: the kernels compute this layer region by region (ConvRegionsTests checks the policy).
    DerivativeCase(name: "conv2D-pad1-by-region", inputs: [([9, 4, 4, 8], .signed), ([3, 3, 8, 2], .signed)]) {
        scalarize(conv2D($0[0], weights: $0[1], stride: 1, padding: .symmetric(1)))
    },
    // A first layer from the patches' moments (images constant, K = 9 < 12 channels); β ≥ 4 and |γ| ≤ 1.5
    // keep every output away from ReLU's kink, and the loss is taken around 5 so its terms stay small.
    DerivativeCase(name: "convBatchNormReLU-patches", inputs: [([3, 3, 1, 12], .signed), ([12], .signed), ([12], .signed)]) {
        var generator = TestGenerator(seed: 17)
        let images = $0[0].constant(Tensor.randomUniform(shape: [3, 7, 7, 1], in: 0...1, using: &generator))
        let y = images.convolvedBatchNormalizedReLU(weights: $0[0], stride: 2, padding: .symmetric(1),
                                                    offset: $0[1].adding(6), scale: $0[2])
        return scalarize(y.adding(-5))
    },
    DerivativeCase(name: "transposedConv2D", inputs: [([1, 2, 2, 3], .signed), ([4, 4, 2, 3], .signed), ([2], .signed)]) {
        scalarize(transposedConv2D($0[0], weights: $0[1], bias: $0[2], outputHeight: 4, outputWidth: 4,
                                   stride: 2, padding: .symmetric(1)))
    },
    DerivativeCase(name: "maxPool2x2", inputs: [([2, 4, 4, 3], .distinct)]) { scalarize($0[0].maxPool2x2()) },
    DerivativeCase(name: "maxPool2x2-ceil", inputs: [([1, 5, 3, 2], .distinct)]) { scalarize($0[0].maxPool2x2(ceilMode: true)) },
    DerivativeCase(name: "globalAveragePool", inputs: [([2, 3, 3, 4], .signed)]) { scalarize($0[0].globalAveragePool()) },
    DerivativeCase(name: "batchNorm-offset", inputs: [([6, 3], .signed), ([3], .signed)]) {
        scalarize($0[0].batchNormalized(offset: $0[1]))
    },
    DerivativeCase(name: "batchNorm-offset-scale", inputs: [([2, 2, 2, 3], .signed), ([3], .signed), ([3], .signed)]) {
        scalarize($0[0].batchNormalized(offset: $0[1], scale: $0[2]))
    },
    DerivativeCase(name: "batchNorm-scale-only", inputs: [([5, 2], .signed), ([2], .signed)]) {
        scalarize($0[0].batchNormalized(offset: nil, scale: $0[1]))
    },
    // Odd width (floor mode drops the last column from the pool, not from batch norm) and ceil mode.
    DerivativeCase(name: "batchNormMaxPool", inputs: [([2, 4, 5, 3], .distinct), ([3], .signed), ([3], .signed)]) {
        scalarize($0[0].batchNormalizedMaxPool2x2(offset: $0[1], scale: $0[2]))
    },
    DerivativeCase(name: "batchNormMaxPool-ceil", inputs: [([1, 5, 3, 2], .distinct), ([2], .signed)]) {
        scalarize($0[0].batchNormalizedMaxPool2x2(offset: $0[1], ceilMode: true))
    },
    DerivativeCase(name: "batchNormComposite", inputs: [([2, 2, 2, 3], .signed), ([3], .signed), ([3], .signed)]) {
        scalarize($0[0].batchNormalizedComposite(offset: $0[1], scale: $0[2]))
    },
    DerivativeCase(name: "addingBias", inputs: [([5, 3], .signed), ([3], .signed)]) { scalarize($0[0].addingBias($0[1])) },
    DerivativeCase(name: "addingBias-constant-input", inputs: [([3], .signed)]) {
        var generator = TestGenerator(seed: 9)
        return scalarize($0[0].constant(Tensor.randomNormal(shape: [4, 3], using: &generator)).addingBias($0[0]))
    },
    DerivativeCase(name: "dense", inputs: [([3, 4], .signed), ([4, 2], .signed), ([2], .signed)]) {
        scalarize(dense($0[0], weights: $0[1], bias: $0[2]))
    },
]

/// Inputs for a case, drawn from a seeded generator.
func inputs(for testCase: DerivativeCase, seed: UInt64) -> [Tensor] {
    var generator = TestGenerator(seed: seed)
    return testCase.inputs.map { shape, kind in
        switch kind {
        case .signed: return awayFromZero(shape: shape, using: &generator)
        case .positive: return awayFromZero(shape: shape, minimumMagnitude: 0.5, maximumMagnitude: 1.5,
                                            using: &generator).map(abs)
        case .distinct:
            let count = shape.reduce(1, *)
            let values = (0..<count).map { Float($0) * 0.1 - Float(count) * 0.05 }.shuffled(using: &generator)
            return Tensor(shape: shape, scalars: values)
        }
    }
}

extension Tensor {
    func map(_ f: (Float) -> Float) -> Tensor { Tensor(shape: shape, scalars: scalars.map(f)) }
}
