// The sinusoid regressor of MAML: 1 → 40 → 40 → 1 with ReLU (Finn et al. 2017, Section 5.1).

import Autodiff

/// A multilayer perceptron with ReLU between layers and a linear output.
/// Parameter order: `dense{l}/weights [in, out]`, `dense{l}/bias [out]` for each layer l.
public struct MLP: Sendable {
    public var layerSizes: [Int]

    public init(layerSizes: [Int] = [1, 40, 40, 1]) {
        precondition(layerSizes.count >= 2, "MLP: needs at least an input and an output size")
        self.layerSizes = layerSizes
    }

    /// Weights truncated-normal with std 0.01 (cbfinn's `construct_fc_weights`), biases 0.
    public func initialParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        var pairs: [(String, Tensor)] = []
        for layer in 1..<layerSizes.count {
            pairs.append(("dense\(layer)/weights", Tensor.truncatedNormal(
                shape: [layerSizes[layer - 1], layerSizes[layer]], standardDeviation: 0.01, using: &generator)))
            pairs.append(("dense\(layer)/bias", Tensor(zeros: [layerSizes[layer]])))
        }
        return Parameters(pairs)
    }

    /// Outputs `[batch, last]` for inputs `[batch, first]`.
    public func callAsFunction(_ x: Variable, parameters p: [Variable]) -> Variable {
        precondition(p.count == 2 * (layerSizes.count - 1), "MLP: expected \(2 * (layerSizes.count - 1)) parameters")
        var h = x
        for layer in 0..<(layerSizes.count - 1) {
            h = dense(h, weights: p[2 * layer], bias: p[2 * layer + 1])
            if layer < layerSizes.count - 2 { h = h.relu() }
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
