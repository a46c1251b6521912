// Small fixtures for the Bayesian TAML tests: an imbalanced 3-way image task, a tiny smooth
// two-layer conv net (softplus, stride-2 convolutions: no kinks) and a tiny set encoder.

import Autodiff
import MetaLearning
import NN
import TestSupport

/// A 3-way task of random 8×8 grey images with 1, 2 and 3 support shots and 2 queries per class.
func imbalancedImageTask(seed: UInt64) -> FewShotTask {
    var generator = TestGenerator(seed: seed)
    let supportLabels: [Int32] = [0, 1, 1, 2, 2, 2], queryLabels: [Int32] = [0, 1, 2, 0, 1, 2]
    func images(_ count: Int) -> Tensor { Tensor.randomNormal(shape: [count, 8, 8, 1], using: &generator) }
    return FewShotTask(supportInputs: images(6), supportTargets: .classes(supportLabels, way: 3),
                       queryInputs: images(6), queryTargets: .classes(queryLabels, way: 3))
}

/// conv3×3 stride 2 → batch norm → softplus, twice (8 → 4 → 2, 2 filters), then dense to 3 classes.
/// ConvNet4's parameter names, so Bayesian TAML reads its layout.
struct SmoothTinyNet: FewShotModel {
    func initialParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        func normal(_ shape: [Int], _ std: Float) -> Tensor {
            Tensor.randomNormal(shape: shape, standardDeviation: std, using: &generator)
        }
        return Parameters([
            ("conv1/weights", normal([3, 3, 1, 2], 0.5)), ("conv1/bias", normal([2], 0.1)), ("bn1/offset", normal([2], 0.1)),
            ("conv2/weights", normal([3, 3, 2, 2], 0.5)), ("conv2/bias", normal([2], 0.1)), ("bn2/offset", normal([2], 0.1)),
            ("dense/weights", normal([8, 3], 0.5)), ("dense/bias", normal([3], 0.1)),
        ])
    }

    func predict(_ inputs: Variable, parameters p: [Variable]) -> Variable {
        var h = inputs
        for block in 0..<2 {
            h = conv2D(h, weights: p[3 * block], bias: p[3 * block + 1], stride: 2, padding: .same)
            h = h.batchNormalized(offset: p[3 * block + 2]).softplus()
        }
        return dense(h.reshaped(to: [h.shape[0], 8]), weights: p[6], bias: p[7])
    }
}

/// A set encoder with tiny widths for 8×8 images and a base net of `layers` convs × `filters`.
func tinyEncoder(layers: Int, filters: Int, smooth: Bool = true) -> SetEncoder {
    var encoder = SetEncoder(imageSize: 8, inputChannels: 1, maxShot: 4, baseConvLayers: layers, baseFilters: filters)
    encoder.convChannels = 2
    encoder.embedding = 4
    encoder.interaction = 2
    encoder.hidden = 5
    encoder.summary = 3
    encoder.headHidden = 4
    encoder.smooth = smooth
    return encoder
}

/// Encoder parameters with larger weights than l2b's 0.02 init, so that every path is exercised.
func largeEncoderParameters(_ encoder: SetEncoder, seed: UInt64) -> Parameters {
    var generator = TestGenerator(seed: seed)
    let parameters = encoder.initialParameters(using: &generator)
    return parameters.with(parameters.tensors.map {
        Tensor.randomNormal(shape: $0.shape, standardDeviation: 0.4, using: &generator)
    })
}
