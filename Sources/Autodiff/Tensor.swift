// Tensor: an eager n-dimensional array of Float with value semantics, no derivatives.
// Storage is a Swift Array (copy-on-write); layouts are row-major, images are NHWC.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An n-dimensional array of `Float`, stored row-major.
///
/// `Tensor` knows nothing about derivatives: `Dual` adds a tangent (forward mode) and
/// `Variable` records operations on a `Tape` (reverse mode).
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
    /// Extent of each axis, outermost first. `[]` is a scalar.
    public var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in \(shape)")
        precondition(scalars.count == shape.reduce(1, *),
                     "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

    /// A rank-0 tensor holding one number.
    public init(_ scalar: Float) { self.init(shape: [], scalars: [scalar]) }

    /// Number of elements.
    public var count: Int { scalars.count }
    /// Number of axes.
    public var rank: Int { shape.count }
    /// The only element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
        return scalars[0]
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(to newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    public var description: String { "Tensor(shape: \(shape), scalars: \(scalars.prefix(8))\(count > 8 ? "…" : ""))" }
}

extension Tensor {
    /// Samples i.i.d. N(mean, std²) entries (Box–Muller) from a seeded generator.
    public static func randomNormal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        using generator: inout some RandomNumberGenerator
    ) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
            let u2 = Double.random(in: 0..<1, using: &generator)
            let (z0, z1) = boxMuller(u1, u2)
            values[i] = mean + standardDeviation * Float(z0)
            if i + 1 < count { values[i + 1] = mean + standardDeviation * Float(z1) }
            i += 2
        }
        return Tensor(shape: shape, scalars: values)
    }

    /// Samples i.i.d. uniform entries in `range`.
    public static func randomUniform(
        shape: [Int], in range: ClosedRange<Float>, using generator: inout some RandomNumberGenerator
    ) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<count).map { _ in Float.random(in: range, using: &generator) })
    }

    /// Truncated normal: N(0, std²) redrawn until within two standard deviations (TF's initializer).
    public static func truncatedNormal(
        shape: [Int], standardDeviation: Float, using generator: inout some RandomNumberGenerator
    ) -> Tensor {
        var result = randomNormal(shape: shape, standardDeviation: standardDeviation, using: &generator)
        for i in result.scalars.indices {
            while abs(result.scalars[i]) > 2 * standardDeviation {
                result.scalars[i] = randomNormal(shape: [1], standardDeviation: standardDeviation,
                                                 using: &generator).scalars[0]
            }
        }
        return result
    }
}

/// Two independent standard normal numbers from two uniform ones (u1 in (0, 1], u2 in [0, 1)).
private func boxMuller(_ u1: Double, _ u2: Double) -> (Double, Double) {
    let radius = (-2 * log(u1)).squareRoot()
    return (radius * cos(2 * .pi * u2), radius * sin(2 * .pi * u2))
}
