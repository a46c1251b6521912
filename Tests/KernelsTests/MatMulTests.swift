// Tests `matmul` (its direct, packed, deep transposed-A and nine-column paths) against `matmulReference` on awkward shapes,
// every transpose/accumulate combination, k = 0, and bit-identical results for 1 and 2 threads.

import Testing
@testable import Kernels
import Randomness

/// One (m, n, k) problem; sizes straddle the SIMD width (8), the tile (6×16) and the blocks (MC 144, KC 256).
private struct GemmShape: CustomTestStringConvertible, Sendable {
    let m: Int, n: Int, k: Int
    var testDescription: String { "\(m)x\(n)x\(k)" }
}

/// transposeA, transposeB and accumulate.
private struct GemmFlags: CustomTestStringConvertible, Sendable {
    let transposeA: Bool, transposeB: Bool, accumulate: Bool
    var testDescription: String { "tA \(transposeA) tB \(transposeB) acc \(accumulate)" }
    static let all: [GemmFlags] = [false, true].flatMap { ta in
        [false, true].flatMap { tb in [false, true].map { GemmFlags(transposeA: ta, transposeB: tb, accumulate: $0) } }
    }
}

private let awkwardShapes: [GemmShape] = [
    GemmShape(m: 1, n: 1, k: 1), GemmShape(m: 1, n: 65, k: 7), GemmShape(m: 65, n: 1, k: 13),
    GemmShape(m: 7, n: 13, k: 33), GemmShape(m: 13, n: 7, k: 1), GemmShape(m: 33, n: 65, k: 13),
    GemmShape(m: 65, n: 33, k: 65), GemmShape(m: 6, n: 16, k: 8), GemmShape(m: 12, n: 32, k: 1),
    GemmShape(m: 150, n: 17, k: 300), GemmShape(m: 300, n: 257, k: 129), GemmShape(m: 9, n: 64, k: 600),
    GemmShape(m: 967, n: 19, k: 23), GemmShape(m: 10, n: 40, k: 40), GemmShape(m: 41, n: 40, k: 10),
    GemmShape(m: 7, n: 45, k: 1100), GemmShape(m: 5, n: 9, k: 3), GemmShape(m: 13, n: 9, k: 70),
    GemmShape(m: 101, n: 9, k: 64), GemmShape(m: 20, n: 50, k: 17), GemmShape(m: 31, n: 55, k: 47),
]

@Test("the awkward shapes reach every part of the blocked plan")
private func awkwardShapesCoverThePlan() {
    let plans = awkwardShapes.map { (shape: $0, plan: MatMulPlan(m: $0.m, n: $0.n, k: $0.k, transposeB: false)) }
    #expect(plans.contains { $0.plan.passes > 1 }, "several depth passes")
    #expect(plans.contains { $0.plan.depthChunks > 1 }, "depth chunks summed separately")
    #expect(plans.contains { $0.plan.groupColumns < roundUp($0.shape.n, microColumns) }, "column groups")
    #expect(plans.contains { $0.shape.m > $0.plan.rows }, "several row blocks")
    #expect(plans.contains { $0.shape.m % microRows != 0 && $0.shape.n % microColumns != 0 }, "edge tiles")
    #expect(plans.contains { $0.plan.readsBInPlace && $0.shape.n > microColumns }, "B read in place")
    #expect(plans.contains { !$0.plan.readsBInPlace }, "B packed")
    let transposedInPlace = MatMulBlocking.maxRowsForUnpackedTransposedA
    #expect(awkwardShapes.contains { $0.m > microRows && $0.m <= transposedInPlace }, "transposed A read in place")
    #expect(awkwardShapes.contains { $0.m > transposedInPlace }, "transposed A packed")
    let shallow = MatMulBlocking.maxDepthForRowOrder
    #expect(awkwardShapes.contains { $0.k <= shallow && $0.m > microRows && $0.n > microColumns }, "tiles in row-panel order")
    #expect(awkwardShapes.contains { $0.k > shallow && $0.m > microRows && $0.n > microColumns }, "tiles in column-panel order")
    // AVX-512 builds run two whole 16-column panels as one 6×32 tile, in either order, next to a lone panel.
    let pairs = 2 * microColumns
    #expect(awkwardShapes.contains { $0.k <= shallow && $0.m > microRows && $0.n > pairs && ($0.n / microColumns) % 2 == 1 },
            "panel pairs and a lone whole panel in row-panel order")
    #expect(awkwardShapes.contains { $0.k > shallow && $0.m > microRows && $0.n > pairs && ($0.n / microColumns) % 2 == 1 },
            "panel pairs and a lone whole panel in column-panel order")
}

/// Deterministic uniform values in [-1, 1) (SplitMix64), so failures reproduce.
private func seededValues(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
}

/// Runs `matmul` with the given path and thread count on fresh copies of C.
private func runMatMul(_ a: [Float], _ b: [Float], _ c: [Float], _ s: GemmShape, _ f: GemmFlags,
                       path: MatMulPath, threads: Int) -> [Float] {
    var out = c
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { pc in
                matmul(pa, pb, into: pc, m: s.m, n: s.n, k: s.k, transposeA: f.transposeA,
                       transposeB: f.transposeB, accumulate: f.accumulate, path: path, threads: threads)
            }
        }
    }
    return out
}

/// Largest |fast − reference| divided by its allowed error, (k + 2)·ε·(|C₀| + Σ_p |op(A)[i,p]·op(B)[p,j]|).
/// Both results round at most k + 1 times, so a correct kernel stays below 1.
private func worstErrorRatio(_ fast: [Float], _ reference: [Float], a: [Float], b: [Float], c0: [Float],
                             _ s: GemmShape, _ f: GemmFlags) -> Float {
    var worst: Float = 0
    for i in 0..<s.m {
        for j in 0..<s.n {
            var magnitude: Float = f.accumulate ? abs(c0[i * s.n + j]) : 0
            for p in 0..<s.k {
                let x = f.transposeA ? a[p * s.m + i] : a[i * s.k + p]
                let y = f.transposeB ? b[j * s.k + p] : b[p * s.n + j]
                magnitude += abs(x * y)
            }
            let allowed = Float(s.k + 2) * Float.ulpOfOne * magnitude + Float.leastNormalMagnitude
            worst = max(worst, abs(fast[i * s.n + j] - reference[i * s.n + j]) / allowed)
        }
    }
    return worst
}

@Test("matmul matches matmulReference", arguments: awkwardShapes, GemmFlags.all)
private func matmulMatchesReference(shape: GemmShape, flags: GemmFlags) {
    let a = seededValues(shape.m * shape.k, seed: 1)
    let b = seededValues(shape.k * shape.n, seed: 2)
    let c0 = seededValues(shape.m * shape.n, seed: 3)
    var reference = c0
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            reference.withUnsafeMutableBufferPointer { pc in
                matmulReference(pa, pb, into: pc, m: shape.m, n: shape.n, k: shape.k, transposeA: flags.transposeA,
                                transposeB: flags.transposeB, accumulate: flags.accumulate)
            }
        }
    }
    for path in paths(flags, shape) {  // .automatic picks one of these; see the next tests
        let fast = runMatMul(a, b, c0, shape, flags, path: path, threads: 2)
        let ratio = worstErrorRatio(fast, reference, a: a, b: b, c0: c0, shape, flags)
        #expect(ratio < 1, "path \(path): worst error is \(ratio) × the allowed bound")
    }
}

/// The paths that can run a product of this shape with these flags.
private func paths(_ flags: GemmFlags, _ shape: GemmShape) -> [MatMulPath] {
    var paths: [MatMulPath] = [.direct, .packed]
    if flags.transposeA && !flags.transposeB { paths.append(.deepTransposedA) }
    if shape.n == 9 && !flags.transposeA { paths.append(.nineColumns) }
    return paths
}

@Test("the deep path is taken by early layers' weight gradients only, and its chunks cover every tail")
private func deepPathChoice() {
    // W2's and W3's layer-1 weight gradients (colsᵀ·Ȳ): taken.
    #expect(automaticPath(m: 9, n: 64, k: 14700, transposeA: true, transposeB: false) == .deepTransposedA)
    #expect(automaticPath(m: 27, n: 32, k: 9216, transposeA: true, transposeB: false) == .deepTransposedA)
    // Layer 2's (m = 288), a forward product, a shallow k: not taken.
    #expect(automaticPath(m: 288, n: 32, k: 768, transposeA: true, transposeB: false) == .packed)
    #expect(automaticPath(m: 9, n: 64, k: 14700, transposeA: false, transposeB: false) == .packed)
    #expect(automaticPath(m: 9, n: 64, k: 100, transposeA: true, transposeB: false) == .packed)
    // The awkward shape 7×45×1100 has several chunks, a 3-row tile, then two pairs (4 rows left, n < 64),
    // 8-column and single-column tails; 10×64×2000 (the mask test) ends on a lone row's 1 × 64 tile.
    #expect(deepChunks(k: 1100) > 1)
}

@Test("the nine-column path is taken by one-channel 3×3 input gradients, and the test shapes reach its tails")
private func nineColumnPathChoice() {
    // W2's layer-1 input gradient Ȳ·Wᵀ (15680×64 times 64×9): taken, with B stored either way.
    #expect(automaticPath(m: 15680, n: 9, k: 64, transposeA: false, transposeB: true) == .nineColumns)
    #expect(automaticPath(m: 15680, n: 9, k: 64, transposeA: false, transposeB: false) == .nineColumns)
    // A transposed A, another width, or k < 8 (no dot-product block): not taken.
    #expect(automaticPath(m: 15680, n: 9, k: 64, transposeA: true, transposeB: false) != .nineColumns)
    #expect(automaticPath(m: 15680, n: 10, k: 64, transposeA: false, transposeB: true) == .packed)
    #expect(automaticPath(m: 15680, n: 9, k: 7, transposeA: false, transposeB: true) == .packed)
    let nine = awkwardShapes.filter { $0.n == 9 }
    #expect(nine.contains { $0.m % nineColumnTileRows != 0 && $0.k % 8 != 0 && $0.k > 8 }, "edge tile and depth tail")
    #expect(nine.contains { $0.k < 8 }, "depth tail only")
    #expect(nine.contains { $0.m > nineColumnRowsPerTask(m: $0.m) }, "several tasks")
}

@Test("k = 0 gives C = 0, or leaves C unchanged when accumulating", arguments: GemmFlags.all)
private func emptyDepth(flags: GemmFlags) {
    let shape = GemmShape(m: 7, n: 13, k: 0)
    let c0 = seededValues(shape.m * shape.n, seed: 4)
    for path in [MatMulPath.automatic] + paths(flags, shape) {
        let out = runMatMul([], [], c0, shape, flags, path: path, threads: 2)
        #expect(out == (flags.accumulate ? c0 : [Float](repeating: 0, count: c0.count)), "path \(path)")
    }
}

/// The first shape takes the direct path, the second the packed one (see `MatMulBlocking.directFlops`).
@Test("the public matmul matches the reference and writes only the leading m·n floats of C",
      arguments: [GemmShape(m: 7, n: 13, k: 5), GemmShape(m: 33, n: 65, k: 13)])
private func publicEntryRespectsBufferLength(shape: GemmShape) {
    let a = seededValues(shape.m * shape.k, seed: 5)
    let b = seededValues(shape.k * shape.n, seed: 6)
    var c = [Float](repeating: .nan, count: shape.m * shape.n + 5)
    var reference = c
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { matmul(pa, pb, into: $0, m: shape.m, n: shape.n, k: shape.k) }
            reference.withUnsafeMutableBufferPointer {
                matmulReference(pa, pb, into: $0, m: shape.m, n: shape.n, k: shape.k)
            }
        }
    }
    let flags = GemmFlags(transposeA: false, transposeB: false, accumulate: false)
    let count = shape.m * shape.n
    #expect(worstErrorRatio(Array(c[..<count]), Array(reference[..<count]), a: a, b: b, c0: [], shape, flags) < 1)
    #expect(c[count...].allSatisfy { $0.isNaN })
}

/// Shapes that use several tasks, column groups, depth passes and edge tiles.
private let determinismShapes: [GemmShape] = [
    GemmShape(m: 300, n: 80, k: 300), GemmShape(m: 9, n: 64, k: 2000), GemmShape(m: 1000, n: 20, k: 64),
    GemmShape(m: 1000, n: 9, k: 67),
]

@Test("1 and 2 threads give bit-identical results", .enabled(if: Parallelism.threads > 1, "needs METALEARN_THREADS > 1"),
      arguments: determinismShapes, GemmFlags.all)
private func threadCountDoesNotChangeBits(shape: GemmShape, flags: GemmFlags) {
    let a = seededValues(shape.m * shape.k, seed: 7)
    let b = seededValues(shape.k * shape.n, seed: 8)
    let c0 = seededValues(shape.m * shape.n, seed: 9)
    for path in paths(flags, shape) where path != .direct {
        let serial = runMatMul(a, b, c0, shape, flags, path: path, threads: 1)
        let parallel = runMatMul(a, b, c0, shape, flags, path: path, threads: 2)
        #expect(serial.map(\.bitPattern) == parallel.map(\.bitPattern), "path \(path)")
    }
}

@Test("a too-small buffer stops with a message instead of reading out of bounds")
private func tooSmallBufferIsRejected() async {
    await #expect(processExitsWith: .failure) {
        let a = [Float](repeating: 1, count: 5)
        var c = [Float](repeating: 0, count: 4)
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { matmul(pa, pa, into: $0, m: 2, n: 2, k: 3) }
        }
    }
}

@Test("the deep path with a mask multiplies by B where the mask is > 0: the bits of masking B first",
      arguments: [GemmShape(m: 10, n: 64, k: 2000), GemmShape(m: 7, n: 45, k: 1100), GemmShape(m: 3, n: 9, k: 300)])
private func deepPathMask(shape: GemmShape) {
    var generator = SplitMix64(seed: UInt64(shape.m * 1000 + shape.n))
    let a = (0..<(shape.k * shape.m)).map { _ in Float.random(in: -1...1, using: &generator) }
    let b = (0..<(shape.k * shape.n)).map { _ in Float.random(in: -1...1, using: &generator) }
    let mask = (0..<(shape.k * shape.n)).map { _ in Float.random(in: -1...1, using: &generator) }
    let maskedB = zip(b, mask).map { $1 > 0 ? $0 : 0 }
    var (masked, firstMasked) = ([Float](repeating: .nan, count: shape.m * shape.n), [Float](repeating: .nan, count: shape.m * shape.n))
    for threads in [1, 2] {
        masked.withUnsafeMutableBufferPointer { c in
            matmulDeepTransposedA(a, b, c.baseAddress!, m: shape.m, n: shape.n, k: shape.k, accumulate: false,
                                  threads: threads, mask: mask)
        }
        firstMasked.withUnsafeMutableBufferPointer { c in
            matmulDeepTransposedA(a, maskedB, c.baseAddress!, m: shape.m, n: shape.n, k: shape.k, accumulate: false,
                                  threads: threads)
        }
        #expect(masked.map(\.bitPattern) == firstMasked.map(\.bitPattern))
    }
    #expect(mask.contains { $0 <= 0 } && masked != [Float](repeating: 0, count: masked.count))
}
