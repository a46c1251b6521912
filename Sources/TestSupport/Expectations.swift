// Closeness with explicit tolerances, and seeded random tensors for tests.

import Autodiff
import Randomness

/// |a − b| ≤ absoluteTolerance + relativeTolerance·max(|a|, |b|).
public func isClose(_ a: Double, _ b: Double, relativeTolerance: Double = 1e-3, absoluteTolerance: Double = 1e-5) -> Bool {
    abs(a - b) <= absoluteTolerance + relativeTolerance * max(abs(a), abs(b))
}

/// The largest |aᵢ − bᵢ| relative to the largest |bᵢ| (floored at 1e-3 to ignore tiny vectors).
public func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "relativeError: \(a.count) vs \(b.count) elements")
    let scale = max(b.map(abs).max() ?? 0, a.map(abs).max() ?? 0, 1e-3)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

public func relativeError(_ a: Tensor, _ b: [Double]) -> Double { relativeError(a.scalars.map(Double.init), b) }
public func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    relativeError(a.scalars.map(Double.init), b.scalars.map(Double.init))
}

/// The deterministic generator of the tests: the project's SplitMix64.
public typealias TestGenerator = SplitMix64

/// A tensor of uniform values whose magnitudes lie in [minimumMagnitude, maximumMagnitude],
/// with random signs: keeps inputs away from the kinks of ReLU and max-pool in finite differences.
public func awayFromZero(shape: [Int], minimumMagnitude: Float = 0.2, maximumMagnitude: Float = 1.5,
                         using generator: inout TestGenerator) -> Tensor {
    let count = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<count).map { _ in
        Float.random(in: minimumMagnitude...maximumMagnitude, using: &generator) * (Bool.random(using: &generator) ? 1 : -1)
    })
}
