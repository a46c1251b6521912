// The inference network q(ω, γ, z | support set) of Bayesian TAML (l2b encoder.py): a per-image
// conv encoder, statistics pooling per class then over classes, and Gaussian heads.

import Autodiff
import Kernels
import NN

/// The three posteriors produced from one support set.
public struct BalancingPosteriors {
    /// q(ω), `[C]`: one class weight per class (softmax over classes weights the class losses).
    public var omega: DiagonalNormal
    /// q(γ), `[convLayers + 1]`: one log step-size multiplier per layer (convs, then the head).
    public var gamma: DiagonalNormal
    /// q(z), `[2·convLayers·filters]`: weight multipliers of each conv layer, then bias shifts.
    public var z: DiagonalNormal
}

/// The set encoder of l2b, sizes as in `encoder.py` by default:
///
///     images [N,h,w,c] → conv3×3(10) → ReLU → maxpool → conv3×3(10) → ReLU → maxpool → flatten
///                      → dense(64)                                              e_i  [N, 64]
///     per class c:  [mean, var, (n_c−1)/(maxShot−1)] of its e_i               s_c  [64, 3]
///     dense(4) on the last axis → ReLU → flatten                               S    [C, 256]
///     dense(128) → ReLU → dense(32)                                            v_c  [C, 32]
///     over classes: [mean, var, mean_c N_c] → dense(4) → ReLU → flatten        v    [1, 128]
///     ω head:  ReLU(dense(64)(S)) → dense(1) for μ, dense(1) for ρ             [C]
///     γ head:  ReLU(dense(64)(v)) → dense(5) for μ, dense(5) for ρ             [5]
///     z head:  ReLU(dense(64)(v)) → dense(256) for μ, dense(256) for ρ         [256]
///
/// Convolutions are SAME with bias, pools 2×2 VALID. Init: conv weights truncated normal 0.02,
/// dense weights normal 0.02, all biases 0.
public struct SetEncoder: Sendable {
    public var imageSize: Int
    public var inputChannels: Int
    /// Largest support size per class of the sampler: normalises the class sizes.
    public var maxShot: Int
    /// Conv layers and filters of the base network that z modulates (l2b: 4 × 32).
    public var baseConvLayers: Int
    public var baseFilters: Int
    public var convChannels = 10
    public var embedding = 64
    public var interaction = 4
    public var hidden = 128
    public var summary = 32
    public var headHidden = 64
    /// Softplus instead of ReLU and 2×2 average instead of max pooling: no kinks, for
    /// finite-difference tests. Not an l2b option.
    public var smooth = false

    public init(imageSize: Int, inputChannels: Int, maxShot: Int, baseConvLayers: Int = 4, baseFilters: Int = 32) {
        self.imageSize = imageSize
        self.inputChannels = inputChannels
        self.maxShot = maxShot
        self.baseConvLayers = baseConvLayers
        self.baseFilters = baseFilters
    }

    public var gammaCount: Int { baseConvLayers + 1 }
    public var zCount: Int { 2 * baseConvLayers * baseFilters }
    /// Inputs of the first dense layer: two VALID 2×2 pools after SAME convolutions.
    public var flattenedCount: Int { let s = imageSize / 2 / 2; return s * s * convChannels }

    /// (name, input count, output count) of every dense layer, in parameter order after the convs.
    var denseLayers: [(String, Int, Int)] {
        [("dense1", flattenedCount, embedding), ("interact1", 3, interaction),
         ("dense2", embedding * interaction, hidden), ("dense3", hidden, summary), ("interact2", 3, interaction),
         ("dense_omega", embedding * interaction, headHidden), ("mu_omega", headHidden, 1),
         ("sigma_omega", headHidden, 1),
         ("dense_gamma", summary * interaction, headHidden), ("mu_gamma", headHidden, gammaCount),
         ("sigma_gamma", headHidden, gammaCount),
         ("dense_z", summary * interaction, headHidden), ("mu_z", headHidden, zCount), ("sigma_z", headHidden, zCount)]
    }

    /// Fresh encoder parameters φ, named `encoder/<layer>/weights` and `encoder/<layer>/bias`.
    public func initialParameters(using generator: inout some RandomNumberGenerator) -> Parameters {
        var pairs: [(String, Tensor)] = []
        for (layer, cin) in [("conv1", inputChannels), ("conv2", convChannels)] {
            pairs.append(("encoder/\(layer)/weights", Tensor.truncatedNormal(
                shape: [3, 3, cin, convChannels], standardDeviation: 0.02, using: &generator)))
            pairs.append(("encoder/\(layer)/bias", Tensor(zeros: [convChannels])))
        }
        for (layer, inputs, outputs) in denseLayers {
            pairs.append(("encoder/\(layer)/weights", Tensor.randomNormal(
                shape: [inputs, outputs], standardDeviation: 0.02, using: &generator)))
            pairs.append(("encoder/\(layer)/bias", Tensor(zeros: [outputs])))
        }
        return Parameters(pairs)
    }

    /// The posteriors for a support set: images `[N, h, w, c]`, labels in 0..<way, every class
    /// present. `parameters` in the order of `initialParameters`.
    public func posteriors(images: Variable, labels: [Int32], way: Int, parameters p: [Variable]) -> BalancingPosteriors {
        precondition(p.count == 4 + 2 * denseLayers.count,
                     "SetEncoder: expected \(4 + 2 * denseLayers.count) parameters, got \(p.count)")
        precondition(images.shape.count == 4 && images.shape[0] == labels.count,
                     "SetEncoder: images \(images.shape) do not match \(labels.count) labels")
        var next = 4
        func layer(_ x: Variable) -> Variable {
            defer { next += 2 }
            return dense(x, weights: p[next], bias: p[next + 1])
        }
        let smooth = self.smooth
        func activation(_ x: Variable) -> Variable { smooth ? x.softplus() : x.relu() }
        func pool(_ x: Variable) -> Variable { smooth ? averagePool2x2(x) : x.maxPool2x2() }

        // Encoder 1, per instance.
        var h = pool(activation(conv2D(images, weights: p[0], bias: p[1], padding: .same)))
        h = pool(activation(conv2D(h, weights: p[2], bias: p[3], padding: .same)))
        let features = layer(h.reshaped(to: [labels.count, flattenedCount]))        // [N, 64]

        // Statistics pooling 1, per class, then the interaction layer.
        var summaries: [Variable] = [], sizes: [Float] = []
        for c in 0..<way {
            let rows = labels.indices.filter { labels[$0] == Int32(c) }
            precondition(!rows.isEmpty, "SetEncoder: class \(c) has no support example; every class needs one")
            sizes.append(normalisedSetSize(rows.count, maxShot: maxShot))
            summaries.append(statisticsPooling(selectingRows(features, rows), size: sizes[c]))
        }
        let stacked = stackedRows(summaries).reshaped(to: [way * embedding, 3])
        let classSummaries = activation(layer(stacked)).reshaped(to: [way, embedding * interaction])  // S [C, 256]

        // Encoder 2, then statistics pooling 2 over the classes.
        let perClass = layer(activation(layer(classSummaries)))                                        // [C, 32]
        let meanSize = sizes.reduce(0, +) / Float(way)
        let pooled = activation(layer(statisticsPooling(perClass, size: meanSize)))
            .reshaped(to: [1, summary * interaction])                                                   // v [1, 128]

        // Heads: a hidden layer, then μ and ρ.
        func head(_ input: Variable, count: Int) -> DiagonalNormal {
            let hidden = activation(layer(input))
            let mean = layer(hidden), raw = layer(hidden)
            let length = mean.value.count
            precondition(length == count, "SetEncoder: head gives \(length) values, expected \(count)")
            return DiagonalNormal(mean: mean.reshaped(to: [length]), rawScale: raw.reshaped(to: [length]))
        }
        let omega = head(classSummaries, count: way)
        let gamma = head(pooled, count: gammaCount)
        let z = head(pooled, count: zCount)
        return BalancingPosteriors(omega: omega, gamma: gamma, z: z)
    }
}

/// 2×2 average pooling with stride 2 over `[b, h, w, c]` (VALID: a last odd row or column is
/// dropped), as the mean of four strided gathers.
func averagePool2x2(_ x: Variable) -> Variable {
    let (b, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (ho, wo) = (h / 2, w / 2)
    let corners = [(0, 0), (0, 1), (1, 0), (1, 1)].map { dy, dx in
        var indices: [Int32] = []
        indices.reserveCapacity(b * ho * wo * c)
        for n in 0..<b { for i in 0..<ho { for j in 0..<wo { for k in 0..<c {
            indices.append(Int32(((n * h + 2 * i + dy) * w + 2 * j + dx) * c + k))
        } } } }
        return x.gathering(indices, shape: [b, ho, wo, c])
    }
    return corners.summed().scaled(by: 0.25)
}
