// Elementwise maps and activations, each checked lane by lane against the scalar function it computes,
// on awkward lengths (SIMD body + tail) and on special values.

import Foundation
@testable import Kernels
import Testing

/// Calls `kernel` on `x` (and `b`) of length `count` and checks every output against `expected`
/// within `tolerance` relative error (NaN must match NaN).
func checkElementwise(
    count: Int, seed: UInt64, range: ClosedRange<Float> = -4...4, tolerance: Float = 0, special: [Float] = [],
    _ kernel: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void,
    expected: (Float, Float) -> Float, sourceLocation: SourceLocation = #_sourceLocation
) {
    var values = Buffer<Float>.random(count, seed: seed, in: range).array
    for (i, s) in special.enumerated() where i < values.count { values[values.count - 1 - i] = s }
    let a = Buffer<Float>(values)
    let b = Buffer<Float>.random(count, seed: seed + 1, in: range)
    let out = Buffer<Float>(count: count, value: .nan)
    kernel(a.input, b.input, out.output)
    for i in 0..<count {
        let want = expected(a[i], b[i])
        let got = out[i]
        let ok = (want.isNaN && got.isNaN) || want == got || abs(got - want) <= tolerance * max(1, abs(want))
        #expect(ok, "index \(i) of \(count): input \(a[i]), \(b[i]) gave \(got), expected \(want)", sourceLocation: sourceLocation)
        if !ok { return }
    }
}

@Suite struct ElementwiseTests {
    static let counts = awkwardSizes + [0, 8, 16, 100_000, 200_001]

    @Test(arguments: counts)
    func arithmetic(count: Int) {
        checkElementwise(count: count, seed: 61, { add($0, $1, into: $2) }, expected: { $0 + $1 })
        checkElementwise(count: count, seed: 62, { subtract($0, $1, into: $2) }, expected: { $0 - $1 })
        checkElementwise(count: count, seed: 63, { multiply($0, $1, into: $2) }, expected: { $0 * $1 })
        checkElementwise(count: count, seed: 64, { divide($0, $1, into: $2) }, expected: { $0 / $1 })
        checkElementwise(count: count, seed: 65, { scale($0, by: -2.5, into: $2) }, expected: { a, _ in a * -2.5 })
        checkElementwise(count: count, seed: 66, { addScalar($0, 0.75, into: $2) }, expected: { a, _ in a + 0.75 })
        checkElementwise(count: count, seed: 67, { maximum($0, $1, into: $2) }, expected: { max($0, $1) })
        checkElementwise(count: count, seed: 68, { minimum($0, $1, into: $2) }, expected: { min($0, $1) })
    }

    @Test(arguments: counts)
    func accumulatingOperations(count: Int) {
        let x = Buffer<Float>.random(count, seed: 69)
        let b = Buffer<Float>.random(count, seed: 70)
        let y = Buffer<Float>.random(count, seed: 71)
        let start = y.array
        axpy(0.5, x.input, into: y.output)
        #expect((0..<count).allSatisfy { y[$0] == start[$0].plusProduct(0.5, x[$0]) })
        let afterAxpy = y.array
        addProduct(x.input, b.input, into: y.output)
        #expect((0..<count).allSatisfy { y[$0] == afterAxpy[$0].plusProduct(x[$0], b[$0]) })
    }

    @Test func outputMayBeTheInputBuffer() {
        let x = Buffer<Float>.random(37, seed: 72)
        let expected = x.array.map { $0 + $0 }
        add(x.input, x.input, into: x.output)
        #expect(x.array == expected)
    }
}

@Suite struct ActivationTests {
    static let counts = awkwardSizes + [0, 8, 100_003]
    static let special: [Float] = [0, -0.0, 1e-30, -1e-30, 88, -88, 100, -100, .infinity, -.infinity, .nan]

    @Test(arguments: counts)
    func transcendentals(count: Int) {
        checkElementwise(count: count, seed: 81, range: -20...20, tolerance: 4e-7, special: Self.special,
                         { exp($0, into: $2) }, expected: { a, _ in Foundation.exp(a) })
        checkElementwise(count: count, seed: 82, range: 0...50, tolerance: 4e-7, special: Self.special,
                         { log($0, into: $2) }, expected: { a, _ in Foundation.log(a) })
        checkElementwise(count: count, seed: 83, range: -10...10, tolerance: 4e-7, special: Self.special,
                         { tanh($0, into: $2) }, expected: { a, _ in Foundation.tanh(a) })
        checkElementwise(count: count, seed: 84, range: -30...30, tolerance: 4e-7, special: Self.special,
                         { sigmoid($0, into: $2) }, expected: { a, _ in Float(1 / (1 + Foundation.exp(-Double(a)))) })
        checkElementwise(count: count, seed: 85, range: -30...30, tolerance: 4e-7, special: Self.special,
                         { softplus($0, into: $2) }, expected: { a, _ in Float(softplusDouble(Double(a))) })
        checkElementwise(count: count, seed: 86, range: -10...10, tolerance: 4e-7, special: Self.special,
                         { elu($0, alpha: 1.5, into: $2) }, expected: { a, _ in a > 0 ? a : 1.5 * Foundation.expm1(a) })
    }

    @Test(arguments: counts)
    func piecewiseLinearAndPowers(count: Int) {
        let special = Self.special
        checkElementwise(count: count, seed: 91, special: special, { relu($0, into: $2) }, expected: { a, _ in a < 0 ? 0 : a })
        checkElementwise(count: count, seed: 92, special: special, { leakyRelu($0, slope: 0.2, into: $2) },
                         expected: { a, _ in a > 0 ? a : 0.2 * a })
        checkElementwise(count: count, seed: 93, special: special, { positiveMask($0, into: $2) }, expected: { a, _ in a > 0 ? 1 : 0 })
        checkElementwise(count: count, seed: 98, special: special, { keepWherePositive($1, where: $0, into: $2) },
                         expected: { a, b in a > 0 ? b : 0 })
        checkElementwise(count: count, seed: 94, special: special, { leakyMask($0, slope: 0.2, into: $2) },
                         expected: { a, _ in a > 0 ? 1 : 0.2 })
        checkElementwise(count: count, seed: 95, special: special, { square($0, into: $2) }, expected: { a, _ in a * a })
        checkElementwise(count: count, seed: 96, range: 0...100, special: special, { squareRoot($0, into: $2) },
                         expected: { a, _ in a.squareRoot() })
        checkElementwise(count: count, seed: 97, special: special, { reciprocal($0, into: $2) }, expected: { a, _ in 1 / a })
    }

    /// exp and log against the C library over the whole Float range (every 4099th bit pattern,
    /// subnormals included): at most 1 ulp apart, special values equal.
    @Test(arguments: [false, true])
    func expAndLogSweepTheFloatRange(negative: Bool) {
        let patterns = stride(from: UInt32(0), to: 0x7F80_0000, by: 4099).map { negative ? $0 | 0x8000_0000 : $0 }
        let x = Buffer<Float>(patterns.map { Float(bitPattern: $0) } + [.infinity, -.infinity, .nan, 0, -0.0])
        let e = Buffer<Float>(count: x.count)
        let l = Buffer<Float>(count: x.count)
        exp(x.input, into: e.output)
        log(x.input, into: l.output)
        func ulps(_ a: Float, _ b: Float) -> Int {
            if a == b || (a.isNaN && b.isNaN) { return 0 }
            if a.isNaN || b.isNaN || a.sign != b.sign { return .max }
            return abs(Int(a.bitPattern) - Int(b.bitPattern))
        }
        let expWorst = (0..<x.count).map { ulps(e[$0], Foundation.exp(x[$0])) }.max()!
        let logWorst = (0..<x.count).map { ulps(l[$0], Foundation.log(x[$0])) }.max()!
        #expect(expWorst <= 1)
        #expect(logWorst <= 1)
    }

    @Test func softplusIsStableForLargeInputs() {
        let x = Buffer<Float>([1e4, -1e4, 0])
        let y = Buffer<Float>(count: 3)
        softplus(x.input, into: y.output)
        #expect(y[0] == 1e4 && y[1] == 0 && abs(y[2] - Float(Foundation.log(2.0))) < 1e-7)
    }
}

func softplusDouble(_ x: Double) -> Double {
    if x.isNaN { return x }
    return max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x)))
}
