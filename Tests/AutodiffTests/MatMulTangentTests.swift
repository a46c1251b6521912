// The tangent of a product, dA·op(B) + op(A)·dB, computed by joining the two products along k
// when C is wider than they are deep: it must equal the two products summed separately.

import Autodiff
import Testing
import TestSupport

@Suite("Tangent of a matrix product")
struct MatMulTangentTests {
    @Test("joined along k or not, the tangent is dA·B + A·dB", arguments: [
        (5, 3, 17), (1, 1, 9), (13, 7, 33), (33, 16, 7), (7, 33, 65),
    ] as [(Int, Int, Int)])
    func tangentIsSumOfProducts(m: Int, k: Int, n: Int) {
        var generator = TestGenerator(seed: UInt64(m * 10_000 + k * 100 + n))
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            let shapeA = transposeA ? [k, m] : [m, k], shapeB = transposeB ? [n, k] : [k, n]
            let a = Tensor.randomNormal(shape: shapeA, using: &generator)
            let da = Tensor.randomNormal(shape: shapeA, using: &generator)
            let b = Tensor.randomNormal(shape: shapeB, using: &generator)
            let db = Tensor.randomNormal(shape: shapeB, using: &generator)
            let product = matmul(Dual(a, tangent: da), Dual(b, tangent: db), transposeA: transposeA, transposeB: transposeB)
            let expected = matmul(da, b, transposeA: transposeA, transposeB: transposeB)
                + matmul(a, db, transposeA: transposeA, transposeB: transposeB)
            let tangent = product.tangent ?? Tensor(zeros: [m, n])
            #expect(tangent.shape == [m, n])
            let worst = zip(tangent.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * Float(2 * k), "m \(m) k \(k) n \(n) transposes \(transposeA) \(transposeB): off by \(worst)")
            #expect(product.value.scalars == matmul(a, b, transposeA: transposeA, transposeB: transposeB).scalars)
        }
    }
}
