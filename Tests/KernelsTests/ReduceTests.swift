// Reductions: sum and dot against Double loops, sumAxis / broadcastAxis against references and
// as adjoints of each other.

import Kernels
import Testing

@Suite struct ReduceTests {
    @Test(arguments: awkwardSizes + [0, 8, 1000, 100_003])
    func sumAndDotMatchDoubleLoops(count: Int) {
        let a = Buffer<Float>.random(count, seed: 41)
        let b = Buffer<Float>.random(count, seed: 42)
        let expectedSum = a.array.reduce(0.0) { $0 + Double($1) }
        #expect(Double(sumReference(a.input)) == Double(Float(expectedSum)))
        #expect(abs(Double(sum(a.input)) - expectedSum) <= 1e-6 * max(1, Double(count).squareRoot()))
        #expect(Double(dotReference(a.input, b.input)) == Double(Float(dotDouble(a.array, b.array))))
        #expect(abs(Double(dot(a.input, b.input)) - dotDouble(a.array, b.array)) <= 1e-6 * max(1, Double(count).squareRoot()))
    }

    @Test func sumIsAccurateWhereNaiveFloatSummationIsNot() {
        // 1 followed by 10 million copies of 1e-8: a Float running sum stays at 1.
        let x = Buffer<Float>([1] + [Float](repeating: 1e-8, count: 10_000_000))
        #expect(abs(sum(x.input) - 1.1) < 1e-5)
    }

    static let axisShapes = [
        (1, 1, 1), (1, 7, 1), (3, 13, 5), (2, 33, 9), (65, 3, 1), (1, 65, 17), (4, 1, 8), (0, 3, 2), (2, 0, 3),
        (2, 5000, 9), (3, 20000, 1), (1, 70000, 1), (1, 3000, 64),  // long axes: blocked partial sums
    ]

    @Test(arguments: axisShapes, [false, true])
    func sumAxisMatchesReference(shape: (Int, Int, Int), accumulate: Bool) {
        let (outer, axis, inner) = shape
        let x = Buffer<Float>.random(outer * axis * inner, seed: 44)
        let fast = Buffer<Float>.random(outer * inner, seed: 45)
        let reference = Buffer<Float>.random(outer * inner, seed: 45)
        sumAxis(x.input, into: fast.output, outer: outer, axis: axis, inner: inner, accumulate: accumulate)
        sumAxisReference(x.input, into: reference.output, outer: outer, axis: axis, inner: inner, accumulate: accumulate)
        // Float rounding error grows like √axis (the reference adds one term at a time).
        let tolerance = 1e-6 * max(10, Float(axis).squareRoot())
        #expect(maxRelativeError(fast.array, reference.array) < tolerance)
        let start = Buffer<Float>.random(outer * inner, seed: 45).array
        let exact = (0..<outer * inner).map { index -> Float in
            let (o, i) = index.quotientAndRemainder(dividingBy: inner)
            let total = (0..<axis).reduce(accumulate ? Double(start[index]) : 0) { $0 + Double(x[(o * axis + $1) * inner + i]) }
            return Float(total)
        }
        #expect(maxRelativeError(fast.array, exact) < tolerance)
    }

    @Test(arguments: axisShapes, [false, true])
    func broadcastAxisMatchesReference(shape: (Int, Int, Int), accumulate: Bool) {
        let (outer, axis, inner) = shape
        let x = Buffer<Float>.random(outer * inner, seed: 46)
        let fast = Buffer<Float>.random(outer * axis * inner, seed: 47)
        let reference = Buffer<Float>.random(outer * axis * inner, seed: 47)
        broadcastAxis(x.input, into: fast.output, outer: outer, axis: axis, inner: inner, accumulate: accumulate)
        broadcastAxisReference(x.input, into: reference.output, outer: outer, axis: axis, inner: inner, accumulate: accumulate)
        #expect(fast.array == reference.array)
    }

    /// ⟨sumAxis(x), y⟩ = ⟨x, broadcastAxis(y)⟩
    @Test(arguments: axisShapes)
    func broadcastAxisIsTheAdjointOfSumAxis(shape: (Int, Int, Int)) {
        let (outer, axis, inner) = shape
        let x = Buffer<Float>.random(outer * axis * inner, seed: 48)
        let y = Buffer<Float>.random(outer * inner, seed: 49)
        let summed = Buffer<Float>(count: y.count)
        let broadcast = Buffer<Float>(count: x.count)
        sumAxis(x.input, into: summed.output, outer: outer, axis: axis, inner: inner)
        broadcastAxis(y.input, into: broadcast.output, outer: outer, axis: axis, inner: inner)
        #expect(nearlyEqual(dotDouble(summed.array, y.array), dotDouble(x.array, broadcast.array)))
    }

    @Test func sumAxisKnownValues() {
        let x = Buffer<Float>((0..<12).map(Float.init))  // [2, 3, 2]
        let y = Buffer<Float>(count: 4)
        sumAxis(x.input, into: y.output, outer: 2, axis: 3, inner: 2)
        let expected: [Float] = [0 + 2 + 4, 1 + 3 + 5, 6 + 8 + 10, 7 + 9 + 11]
        #expect(y.array == expected)
    }
}
