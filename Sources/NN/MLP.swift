// The sinusoid regressor of MAML: 1 → 40 → 40 → 1 with ReLU (Finn et al. 2017, Section 5.1),
// optionally with batch norm after each hidden layer (cbfinn/maml's default `--norm batch_norm`;
// its README trains sinusoids with `--norm None`, the default here).

import Autodiff

/// A multilayer perceptron with ReLU between layers and a linear output.
/// Parameter order, for each layer l: `dense{l}/weights [in, out]`, `dense{l}/bias [out]`, and with
/// `batchNorm`, after each hidden layer, `bn{l}/offset [out]`.
public struct MLP: Sendable, Equatable {
    public var layerSizes: [Int]
    /// Hidden layers compute relu(batchNorm(x·W + b)) with batch statistics and a learned offset
    /// (TensorFlow's `batch_norm`: centre, no scale, ε = 10⁻³), as cbfinn's `normalize`.
    public var batchNorm: Bool

    public init(layerSizes: [Int] = [1, 40, 40, 1], batchNorm: Bool = false) {
        precondition(layerSizes.count >= 2, "MLP: needs at least an input and an output size")
        self.layerSizes = layerSizes
        self.batchNorm = batchNorm
    }

    /// The number of parameter tensors.
    public var parameterCount: Int { 2 * (layerSizes.count - 1) + (batchNorm ? layerSizes.count - 2 : 0) }

    /// Weights truncated-normal with std 0.01 (cbfinn's `construct_fc_weights`), biases and offsets 0.
    public func initialParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        var pairs: [(String, Tensor)] = []
        for layer in 1..<layerSizes.count {
            pairs.append(("dense\(layer)/weights", Tensor.truncatedNormal(
                shape: [layerSizes[layer - 1], layerSizes[layer]], standardDeviation: 0.01, using: &generator)))
            pairs.append(("dense\(layer)/bias", Tensor(zeros: [layerSizes[layer]])))
            if batchNorm && layer < layerSizes.count - 1 {
                pairs.append(("bn\(layer)/offset", Tensor(zeros: [layerSizes[layer]])))
            }
        }
        return Parameters(pairs)
    }

    /// Outputs `[batch, last]` for inputs `[batch, first]`.
    public func callAsFunction(_ x: Variable, parameters p: [Variable]) -> Variable {
        precondition(p.count == parameterCount, "MLP: expected \(parameterCount) parameters, got \(p.count)")
        var h = x
        var next = 0
        for layer in 0..<(layerSizes.count - 1) {
            h = dense(h, weights: p[next], bias: p[next + 1])
            next += 2
            if layer == layerSizes.count - 2 { break }
            if batchNorm {
                h = h.batchNormalizedReLU(offset: p[next])
                next += 1
            } else {
                h = h.relu()
            }
        }
        return h
    }
}

extension Variable {
    /// Mean squared error: mean of (self − target)², MAML's regression loss.
    public func meanSquaredError(to target: Tensor) -> Variable {
        (self - constant(target)).squared().mean()
    }
}
