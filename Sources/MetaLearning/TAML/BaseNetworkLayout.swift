// What each parameter of the base network is to Bayesian TAML (read from ConvNet4-style names),
// and the two places the balancing variables enter: θ₀ = modulated θ, and the step sizes s.

import Autodiff
import NN

/// The layout of a ConvNet4-style base network: `conv{l}/weights [3,3,in,F]`, `conv{l}/bias [F]`,
/// `bn{l}/…` (batch norm, meta-learned, not adapted), `dense/weights [features, way]`, `dense/bias [way]`.
public struct BaseNetworkLayout: Sendable {
    public enum Role: Sendable, Equatable {
        case convWeights(layer: Int)   // layer 0-based
        case convBias(layer: Int)
        case headWeights
        case headBias
        case batchNorm
    }

    public let roles: [Role]
    public let shapes: [[Int]]
    /// Indices of the adapted parameters (convs and head), then of the others (batch norm).
    public let adapted: [Int]
    public let context: [Int]
    public let convLayers: Int
    public let filters: Int
    public let way: Int

    public init(_ parameters: Parameters) throws(TAMLError) {
        var roles: [Role] = [], layers = Set<Int>(), weightLayers = Set<Int>()
        for name in parameters.names {
            let parts = name.split(separator: "/")
            if name.hasPrefix("bn") { roles.append(.batchNorm); continue }
            if name == "dense/weights" { roles.append(.headWeights); continue }
            if name == "dense/bias" { roles.append(.headBias); continue }
            guard parts.count == 2, parts[0].hasPrefix("conv"), let number = Int(parts[0].dropFirst(4)), number >= 1
            else { throw .unknownParameter(name) }
            switch parts[1] {
            case "weights": roles.append(.convWeights(layer: number - 1)); weightLayers.insert(number - 1)
            case "bias": roles.append(.convBias(layer: number - 1))
            default: throw .unknownParameter(name)
            }
            layers.insert(number - 1)
        }
        guard layers == Set(0..<layers.count), weightLayers == layers,
              roles.filter({ if case .convBias = $0 { return true } else { return false } }).count == layers.count
        else { throw .convLayersNotNumbered(layers.sorted().map { $0 + 1 }) }
        let shapes = parameters.tensors.map(\.shape)
        guard let head = roles.firstIndex(of: .headWeights), let bias = roles.firstIndex(of: .headBias),
              shapes[head].count == 2, shapes[bias] == [shapes[head][1]]
        else { throw .missingHead }
        var filters = 0
        for (i, role) in roles.enumerated() {
            guard case .convWeights(let layer) = role else { continue }
            let f = shapes[i].last ?? 0
            if layer == 0 { filters = f }
            let biasShape = roles.firstIndex(of: .convBias(layer: layer)).map { shapes[$0] }
            if biasShape != [f] { throw .filtersDiffer(layer: layer + 1, filters: biasShape?.first ?? 0, expected: f) }
        }
        for (i, role) in roles.enumerated() {
            if case .convWeights(let layer) = role, shapes[i].last != filters {
                throw .filtersDiffer(layer: layer + 1, filters: shapes[i].last ?? 0, expected: filters)
            }
        }
        self.roles = roles
        self.shapes = shapes
        adapted = roles.indices.filter { roles[$0] != .batchNorm }
        context = roles.indices.filter { roles[$0] == .batchNorm }
        convLayers = layers.count
        self.filters = filters
        way = shapes[head][1]
    }

    /// The γ entry of a role: conv layer l → l, head → convLayers.
    func gammaIndex(_ role: Role) -> Int {
        switch role {
        case .convWeights(let layer), .convBias(let layer): return layer
        default: return convLayers
        }
    }

    /// Shapes of the step sizes α, one per adapted parameter. With a zero head (l2b), the head's α
    /// is a column `[features, 1]` and a scalar `[1]`, tiled over the classes.
    public func stepSizeShapes(headStartsAtZero: Bool) -> [[Int]] {
        adapted.map { i in
            guard headStartsAtZero else { return shapes[i] }
            switch roles[i] {
            case .headWeights: return [shapes[i][0], 1]
            case .headBias: return [1]
            default: return shapes[i]
            }
        }
    }

    /// θ₀ for every adapted parameter (in `adapted` order):
    ///
    ///     conv weights  W ⊙ (1 + z_w[l])   (z broadcast over the output channel, the last axis)
    ///     conv biases   b + z_b[l]
    ///     head          0 when `headStartsAtZero` (a constant), θ otherwise
    ///
    /// z `[2·convLayers·filters]` holds every layer's multipliers, then every layer's shifts.
    /// Batch norm with batch statistics follows every conv and cancels any bias, so the shifts
    /// z_b change nothing (as in l2b, where they meet the same batch norm); their KL still counts.
    func initialisation(theta: [Variable], z: Variable?, headStartsAtZero: Bool) -> [Variable] {
        zip(adapted, theta).map { index, t in
            let f = filters, shift = convLayers * filters
            switch roles[index] {
            case .convWeights(let layer):
                guard let z else { return t }
                let indices = (0..<t.value.count).map { Int32(layer * f + $0 % f) }
                return t * z.gathering(indices, shape: t.shape).adding(1)
            case .convBias(let layer):
                guard let z else { return t }
                return t + z.gathering((0..<f).map { Int32(shift + layer * f + $0) }, shape: t.shape)
            case .headWeights, .headBias:
                return headStartsAtZero ? t.constant(Tensor(zeros: t.shape)) : t
            case .batchNorm:
                preconditionFailure("BaseNetworkLayout: batch norm is not adapted")
            }
        }
    }

    /// The per-element step sizes s (in `adapted` order), or nil for one uniform rate:
    ///
    ///     s = α ⊙ exp(γ_layer)   (α tiled over the classes for a zero head)
    ///     s = α                  without γ;   s = lr · exp(γ_layer)  without α
    func stepSizes(alpha: [Variable]?, gamma: Variable?, learningRate: Float, headStartsAtZero: Bool) -> [Variable]? {
        if alpha == nil && gamma == nil { return nil }
        return adapted.indices.map { position in
            let index = adapted[position], shape = shapes[index], count = shape.reduce(1, *)
            var base: Variable? = alpha.map { a in
                let rate = a[position]
                guard headStartsAtZero, rate.shape != shape else { return rate }
                let columns = roles[index] == .headWeights ? way : count   // [features, 1] → [features, way]
                return rate.gathering((0..<count).map { Int32($0 / columns) }, shape: shape)
            }
            if let gamma {
                let multiplier = gamma.gathering([Int32](repeating: Int32(gammaIndex(roles[index])), count: count),
                                                 shape: shape).exp()
                base = base.map { $0 * multiplier } ?? multiplier.scaled(by: learningRate)
            }
            return base!
        }
    }
}
