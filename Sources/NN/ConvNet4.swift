// The 4-block few-shot backbone: [conv3×3 → batch norm → ReLU → (max-pool)] × 4, then a head.
// Holds hyperparameters only: parameters are passed in, so adapting returns new parameters.

import Autodiff
import Kernels

/// Conv4 of MAML (Finn et al. 2017) and of l2b (Lee et al. 2020).
///
/// - Omniglot (cbfinn): 64 filters, stride 2, no pooling, 28→14→7→4→2.
/// - miniImageNet / l2b: 32 filters, stride 1, max-pool 2×2, 32→16→8→4→2 or 84→42→21→10→5.
///
/// Parameter order (the `[Variable]` that `logits` reads), per block b = 1…4:
/// `conv{b}/weights [3,3,cin,filters]`, `conv{b}/bias [filters]`, `bn{b}/offset [filters]`,
/// `bn{b}/scale [filters]` (only with `batchNormScale`); then `dense/weights [features, way]`,
/// `dense/bias [way]`.
public struct ConvNet4: Sendable {
    public enum Downsampling: String, Sendable { case stride2, maxPool }
    public enum Head: String, Sendable {
        /// Mean over the spatial positions, then dense: `filters` features (cbfinn Omniglot).
        case spatialMean
        /// Flatten `h·w·filters`, then dense (l2b, and the W2 benchmark).
        case flatten
    }

    public var imageSize: Int
    public var inputChannels: Int
    public var filters: Int
    public var way: Int
    public var downsampling: Downsampling
    public var head: Head
    public var padding: Padding = .same
    /// Learn a batch-norm scale γ as well as the offset β (TensorFlow `scale=True`).
    public var batchNormScale = false
    public var batchNormEpsilon: Float = 1e-3
    /// Standard deviation of the initial head weights: 1, as cbfinn's `tf.random_normal` for `w5`.
    public var headInitStandardDeviation: Float = 1

    public init(imageSize: Int, inputChannels: Int, filters: Int, way: Int,
                downsampling: Downsampling, head: Head) {
        self.imageSize = imageSize
        self.inputChannels = inputChannels
        self.filters = filters
        self.way = way
        self.downsampling = downsampling
        self.head = head
    }

    /// Spatial size after block b (0 = the input).
    public func spatialSize(afterBlock block: Int) -> Int {
        var size = imageSize
        for _ in 0..<block {
            switch downsampling {
            case .stride2:
                let geometry = ConvGeometry(batch: 1, inputHeight: size, inputWidth: size, inputChannels: 1,
                                            kernelHeight: 3, kernelWidth: 3, stride: 2, padding: padding)
                size = geometry.outputHeight
            case .maxPool:
                let convolved = ConvGeometry(batch: 1, inputHeight: size, inputWidth: size, inputChannels: 1,
                                             kernelHeight: 3, kernelWidth: 3, stride: 1, padding: padding).outputHeight
                size = convolved / 2
            }
        }
        return size
    }

    /// Number of inputs of the dense head.
    public var featureCount: Int {
        switch head {
        case .spatialMean: return filters
        case .flatten: let s = spatialSize(afterBlock: 4); return s * s * filters
        }
    }

    /// Fresh parameters: conv weights Glorot-uniform (cbfinn's xavier_initializer_conv2d), biases
    /// and offsets 0, scales 1, head weights N(0, headInitStandardDeviation²), head bias 0.
    public func initialParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        var pairs: [(String, Tensor)] = []
        var channels = inputChannels
        for block in 1...4 {
            let limit = (6 / Float(9 * channels + 9 * filters)).squareRoot()
            pairs.append(("conv\(block)/weights", Tensor.randomUniform(shape: [3, 3, channels, filters],
                                                                        in: -limit...limit, using: &generator)))
            pairs.append(("conv\(block)/bias", Tensor(zeros: [filters])))
            pairs.append(("bn\(block)/offset", Tensor(zeros: [filters])))
            if batchNormScale { pairs.append(("bn\(block)/scale", Tensor(repeating: 1, shape: [filters]))) }
            channels = filters
        }
        pairs.append(("dense/weights", Tensor.randomNormal(shape: [featureCount, way],
                                                           standardDeviation: headInitStandardDeviation,
                                                           using: &generator)))
        pairs.append(("dense/bias", Tensor(zeros: [way])))
        return Parameters(pairs)
    }

    /// Logits `[batch, way]` of images `[batch, imageSize, imageSize, inputChannels]`, with batch
    /// statistics in every batch norm (the transductive setting of MAML and l2b).
    ///
    /// The conv biases are kept as parameters (cbfinn and l2b have them) but not added: batch norm
    /// with batch statistics subtracts each channel's mean, so BN(x·W + b) = BN(x·W) exactly and b
    /// gets a zero gradient. Skipping the addition saves a pass over each conv output and its
    /// gradient reduction (a test checks the identity on the network with the biases added).
    public func logits(_ images: Variable, parameters p: [Variable]) -> Variable {
        logits(images, parameters: p, addingConvBiases: false)
    }

    /// `logits`, optionally adding the conv biases that batch norm cancels (for the test of that
    /// identity), and optionally with ReLU before max-pool as written (for the test of the next one).
    ///
    /// ReLU and max-pool commute (ReLU is monotone, and where the window's maximum is ≤ 0 both
    /// orders pass no gradient), so the network pools first and applies ReLU to the pooled map: the
    /// same values and gradients, with ReLU's mask passes (backward and tangent) a quarter the size;
    /// batch norm and max-pool are then one op that never stores the full-size normalized map.
    func logits(_ images: Variable, parameters p: [Variable], addingConvBiases: Bool,
                reluBeforePool: Bool = false) -> Variable {
        let perBlock = batchNormScale ? 4 : 3
        precondition(p.count == 4 * perBlock + 2, "ConvNet4: expected \(4 * perBlock + 2) parameters, got \(p.count)")
        var h = images
        for block in 0..<4 {
            let base = block * perBlock
            let stride = downsampling == .stride2 ? 2 : 1
            let (offset, scale) = (p[base + 2], batchNormScale ? p[base + 3] : nil)
            if downsampling == .stride2 && !addingConvBiases {
                // One op: for the first layer it computes batch norm from the patches' moments.
                h = h.convolvedBatchNormalizedReLU(weights: p[base], stride: stride, padding: padding, offset: offset,
                                                   scale: scale, epsilon: batchNormEpsilon)
                continue
            }
            h = conv2D(h, weights: p[base], bias: addingConvBiases ? p[base + 1] : nil, stride: stride, padding: padding)
            if downsampling == .maxPool && !reluBeforePool {
                h = h.batchNormalizedMaxPool2x2(offset: offset, scale: scale, epsilon: batchNormEpsilon).relu()
            } else {
                h = h.batchNormalizedReLU(offset: offset, scale: scale, epsilon: batchNormEpsilon)
                if downsampling == .maxPool { h = h.maxPool2x2() }
            }
        }
        let features: Variable
        switch head {
        case .spatialMean: features = h.globalAveragePool()
        case .flatten: features = h.reshaped(to: [h.shape[0], h.value.count / h.shape[0]])
        }
        return dense(features, weights: p[4 * perBlock], bias: p[4 * perBlock + 1])
    }
}
