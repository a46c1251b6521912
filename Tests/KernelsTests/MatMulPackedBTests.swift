// Tests `matmul` with a B packed beforehand (`PackedB`, a layer's weights shared by its image groups):
// the same bits as packing inside `matmul`, on shapes that take the packed path and shapes that do not.

import Testing
@testable import Kernels
import Randomness

private func values(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
}

/// (m, n, k): W2's second layer forward (441×64×576) and input gradient (441×576×64), column tails,
/// rows past one block, and tiny or matrix-vector shapes that fall back to the unpacked path.
private let shapes: [(m: Int, n: Int, k: Int)] = [
    (441, 64, 576), (441, 576, 64), (150, 17, 300), (300, 257, 129), (967, 19, 23), (41, 40, 10),
    (37, 33, 65), (1, 65, 7), (7, 13, 5), (65, 1, 13),
]

@Test("a prepacked B gives the bits of matmul packing it itself",
      arguments: [false, true], [false, true])
private func prepackedMatchesMatMul(transposeB: Bool, accumulate: Bool) {
    for (m, n, k) in shapes {
        let a = values(m * k, seed: 11), b = values(k * n, seed: 12), c0 = values(m * n, seed: 13)
        var expected = c0, got = c0
        var storage = [Float](repeating: .nan, count: PackedB.floats(n: n, k: k))
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                expected.withUnsafeMutableBufferPointer {
                    matmul(pa, pb, into: $0, m: m, n: n, k: k, transposeB: transposeB, accumulate: accumulate)
                }
                storage.withUnsafeMutableBufferPointer { room in
                    let packed = PackedB(pb, n: n, k: k, transposed: transposeB, into: room)
                    got.withUnsafeMutableBufferPointer { matmul(pa, packed, into: $0, m: m, accumulate: accumulate) }
                }
            }
        }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(m)×\(n)×\(k) transposeB \(transposeB)")
    }
}

@Test("the packed panels hold op(B), zero past the last column")
private func panelsHoldOpB() {
    let (n, k) = (19, 3)
    let b = values(k * n, seed: 14)  // stored [k×n]; the same floats read as Bᵀ stored [n×k] too
    for transposed in [false, true] {
        var storage = [Float](repeating: .nan, count: PackedB.floats(n: n, k: k))
        storage.withUnsafeMutableBufferPointer { room in
            b.withUnsafeBufferPointer { _ = PackedB($0, n: n, k: k, transposed: transposed, into: room) }
        }
        for q in 0..<2 {
            for p in 0..<k {
                for j in 0..<16 {
                    let column = 16 * q + j
                    let opB: Float = column >= n ? 0 : (transposed ? b[column * k + p] : b[p * n + column])
                    #expect(storage[q * 16 * k + p * 16 + j] == opB, "panel \(q) depth \(p) column \(j)")
                }
            }
        }
    }
}
