// transpose2D against its reference, as its own adjoint, and transposing twice is the identity.

import Kernels
import Testing

@Suite struct TransposeTests {
    static let shapes = [(1, 1), (1, 7), (7, 1), (13, 33), (65, 8), (8, 65), (33, 33), (100, 37), (0, 5)]

    @Test(arguments: shapes)
    func matchesReferenceAndRoundTrips(shape: (Int, Int)) {
        let (rows, cols) = shape
        let x = Buffer<Float>.random(rows * cols, seed: 51)
        let fast = Buffer<Float>(count: x.count, value: .nan)
        let reference = Buffer<Float>(count: x.count, value: .nan)
        transpose2D(x.input, into: fast.output, rows: rows, cols: cols)
        transpose2DReference(x.input, into: reference.output, rows: rows, cols: cols)
        #expect(fast.array == reference.array)
        let back = Buffer<Float>(count: x.count)
        transpose2D(fast.input, into: back.output, rows: cols, cols: rows)
        #expect(back.array == x.array)
    }

    /// ⟨transpose(x), y⟩ = ⟨x, transpose(y)⟩ for x [r, c], y [c, r].
    @Test(arguments: shapes)
    func isItsOwnAdjoint(shape: (Int, Int)) {
        let (rows, cols) = shape
        let x = Buffer<Float>.random(rows * cols, seed: 52)
        let y = Buffer<Float>.random(rows * cols, seed: 53)
        let tx = Buffer<Float>(count: x.count)
        let ty = Buffer<Float>(count: y.count)
        transpose2D(x.input, into: tx.output, rows: rows, cols: cols)
        transpose2D(y.input, into: ty.output, rows: cols, cols: rows)
        #expect(nearlyEqual(dotDouble(tx.array, y.array), dotDouble(x.array, ty.array)))
    }

    @Test func knownValues() {
        let x = Buffer<Float>([1, 2, 3, 4, 5, 6])  // [2, 3]
        let y = Buffer<Float>(count: 6)
        transpose2D(x.input, into: y.output, rows: 2, cols: 3)
        #expect(y.array == [1, 4, 2, 5, 3, 6])
    }
}
