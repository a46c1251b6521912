// Test helpers for the kernels: a seeded generator, owned Float/Int32 buffers, comparisons and
// Double-precision dot products for adjoint identities.

import Kernels
import Randomness

/// The project's seeded generator, so every test input is reproducible.
typealias SeededGenerator = SplitMix64

/// A heap buffer that owns its memory, with views for the kernels' parameter types.
/// Bind it to a local (`let x = Buffer(...)`): a temporary's `input` would dangle.
final class Buffer<Element> {
    let storage: UnsafeMutableBufferPointer<Element>
    init(_ values: [Element]) {
        storage = .allocate(capacity: values.count)
        _ = storage.initialize(from: values)
    }
    deinit { storage.deallocate() }
    var input: UnsafeBufferPointer<Element> { UnsafeBufferPointer(storage) }
    var output: UnsafeMutableBufferPointer<Element> { storage }
    var array: [Element] { Array(storage) }
    var count: Int { storage.count }
    subscript(i: Int) -> Element {
        get { storage[i] }
        set { storage[i] = newValue }
    }
}

extension Buffer where Element == Float {
    convenience init(count: Int, value: Float = 0) { self.init([Float](repeating: value, count: count)) }

    /// Uniform values in `range`, drawn from a generator seeded with `seed`.
    static func random(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Buffer<Float> {
        var generator = SeededGenerator(seed: seed)
        return Buffer((0..<count).map { _ in Float.random(in: range, using: &generator) })
    }
}

/// Sizes the kernels find awkward: 1, primes, one past a power of two, non-multiples of 8.
let awkwardSizes = [1, 7, 13, 33, 65]

/// Largest |a[i] − b[i]| relative to max(1, |b[i]|); infinity if the counts differ or a NaN appears.
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for (x, y) in zip(a, b) {
        if x == y { continue }  // covers equal infinities
        let error = abs(x - y) / max(1, abs(y))
        if error.isNaN { return .infinity }
        worst = max(worst, error)
    }
    return worst
}

/// ⟨a, b⟩ accumulated in Double.
func dotDouble(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var total: Double = 0
    for (x, y) in zip(a, b) { total += Double(x) * Double(y) }
    return total
}

/// |lhs − rhs| ≤ tolerance · max(1, |lhs|, |rhs|): the check for adjoint identities.
func nearlyEqual(_ lhs: Double, _ rhs: Double, tolerance: Double = 1e-5) -> Bool {
    abs(lhs - rhs) <= tolerance * max(1, abs(lhs), abs(rhs))
}

/// c [m, n] = a [m, k] · b [k, n] with plain loops (test-only GEMM).
func plainMatMul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for p in 0..<k {
            for j in 0..<n { c[i * n + j] += a[i * k + p] * b[p * n + j] }
        }
    }
    return c
}
