// GEMM benchmarks: the square 1024³ product and the im2col GEMMs of a Conv4 backbone (forward and both
// gradients). Each case is checked against `matmulReference` before it is timed.

import Datasets
import Kernels
import Randomness

let gemm1024Benchmark = Benchmark(name: "gemm-1024", summary: "C = A·B with m = n = k = 1024") {
    [try runGemm(GemmCase(pass: "forward", layer: nil, m: 1024, n: 1024, k: 1024), benchmark: "gemm-1024",
                 verifiedRows: 96)]
}

let gemmConvBenchmark = Benchmark(
    name: "gemm-conv", summary: "im2col GEMMs of a Conv4 on 80 images 28×28×1: forward, dW, dCols"
) {
    try conv4GemmCases().map { try runGemm($0, benchmark: "gemm-conv") }
}

let gemmConvMaxPoolBenchmark = Benchmark(
    name: "gemm-conv-w3",
    summary: "im2col GEMMs of W3's Conv4 (32 filters, max-pool) on 50 images 32×32×3: forward, dW, dCols"
) {
    try conv4GemmCases(images: 50, filters: 32, layers: [(32, 3), (16, 32), (8, 32), (4, 32)])
        .map { try runGemm($0, benchmark: "gemm-conv-w3") }
}

/// One GEMM problem C[m×n] = op(A)[m×k]·op(B)[k×n] and where it comes from.
struct GemmCase {
    let pass: String
    let layer: Int?
    let m: Int, n: Int, k: Int
    var transposeA = false
    var transposeB = false

    /// "MxKxN", the way im2col shapes are usually quoted (rows × depth × filters).
    var shape: String { "\(m)x\(k)x\(n)" }
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// The GEMMs of a 4-block conv net of 3×3 convolutions, by default W2's (64 filters, stride 2,
/// padding 1, 80 images 28×28×1: output sides 14, 7, 4, 2). Layer l has M = images·side²,
/// K = 9·channels-in, N = filters. Per layer:
///
///     forward   Y[M×N]  = cols[M×K] · W[K×N]
///     dW        dW[K×N] = colsᵀ · dY          (transposeA, k = M)
///     dCols     dC[M×K] = dY · Wᵀ             (transposeB, k = N)
func conv4GemmCases(images: Int = 80, filters: Int = 64,
                    layers: [(side: Int, channelsIn: Int)] = [(14, 1), (7, 64), (4, 64), (2, 64)]) -> [GemmCase] {
    var cases: [GemmCase] = []
    for (index, layer) in layers.enumerated() {
        let rows = images * layer.side * layer.side
        let depth = 9 * layer.channelsIn
        cases.append(GemmCase(pass: "forward", layer: index + 1, m: rows, n: filters, k: depth))
        cases.append(GemmCase(pass: "dW", layer: index + 1, m: depth, n: filters, k: rows, transposeA: true))
        cases.append(GemmCase(pass: "dCols", layer: index + 1, m: rows, n: depth, k: filters, transposeB: true))
    }
    return cases
}

/// Verifies, warms up and times `matmul` on one case; returns its result line.
/// `verifiedRows` limits the reference check to that many rows of C, spread over the matrix
/// (needs transposeA false), to keep the O(m·n·k) triple loop short on big problems.
/// - Complexity: O(m·n·k) per timed run.
func runGemm(_ gemm: GemmCase, benchmark: String, verifiedRows: Int? = nil) throws -> BenchmarkResult {
    let a = seededUniform(gemm.m * gemm.k, seed: 1)
    let b = seededUniform(gemm.k * gemm.n, seed: 2)
    var c = [Float](repeating: .nan, count: gemm.m * gemm.n)
    let timings = try a.withUnsafeBufferPointer { pa in
        try b.withUnsafeBufferPointer { pb in
            try c.withUnsafeMutableBufferPointer { buffer in
                let pc = buffer
                let run = {
                    matmul(pa, pb, into: pc, m: gemm.m, n: gemm.n, k: gemm.k,
                           transposeA: gemm.transposeA, transposeB: gemm.transposeB)
                }
                run()
                try verifyGemm(gemm, a: pa, b: pb, c: UnsafeBufferPointer(pc), rows: verifiedRows)
                return measure { run(); blackHole(pc[0]) }
            }
        }
    }
    var result = BenchmarkResult(benchmark: benchmark)
    result.add("shape", .string(gemm.shape))
    result.add("pass", .string(gemm.pass))
    if let layer = gemm.layer { result.add("layer", .integer(layer)) }
    result.add("m", .integer(gemm.m))
    result.add("n", .integer(gemm.n))
    result.add("k", .integer(gemm.k))
    result.add("transposeA", .boolean(gemm.transposeA))
    result.add("transposeB", .boolean(gemm.transposeB))
    result.add(timings, flops: gemm.flops)
    return result
}

/// Checks C against `matmulReference`: all of it, or, when `rows` is given (needs transposeA false),
/// 4 blocks of rows/4 rows spread from the first row to the last, to keep the O(m·n·k) triple loop
/// short. Allows per element 4·(√k + 2)·ε·Σ_p |op(A)[i,p]·op(B)[p,j]| (the reference applied to |A|
/// and |B|): rounding errors of random-sign sums grow like √k, and the worst-case k·ε bound would let
/// a missing term through at k = 15680. The inputs are seeded, so passing is not luck.
func verifyGemm(_ gemm: GemmCase, a: UnsafeBufferPointer<Float>, b: UnsafeBufferPointer<Float>,
                c: UnsafeBufferPointer<Float>, rows: Int?) throws {
    guard let rows, rows < gemm.m else {
        return try verifyRows(gemm, 0..<gemm.m, a: a, b: b, c: c)
    }
    precondition(!gemm.transposeA, "verifyGemm: checking a subset of rows needs transposeA false")
    let blockRows = max(1, rows / 4)
    for block in 0..<4 {
        let first = (gemm.m - blockRows) * block / 3
        try verifyRows(gemm, first..<(first + blockRows), a: a, b: b, c: c)
    }
}

/// Checks rows `range` of C (all rows when A is transposed) as `verifyGemm` describes.
private func verifyRows(_ gemm: GemmCase, _ range: Range<Int>, a: UnsafeBufferPointer<Float>,
                        b: UnsafeBufferPointer<Float>, c: UnsafeBufferPointer<Float>) throws {
    let (rows, n, k) = (range.count, gemm.n, gemm.k)
    let aRows = gemm.transposeA ? a : UnsafeBufferPointer(rebasing: a[(range.lowerBound * k)..<(range.upperBound * k)])
    var expected = [Float](repeating: 0, count: rows * n)
    var magnitude = expected
    let absA = aRows.map(abs), absB = b.map(abs)
    expected.withUnsafeMutableBufferPointer {
        matmulReference(aRows, b, into: $0, m: rows, n: n, k: k, transposeA: gemm.transposeA, transposeB: gemm.transposeB)
    }
    absA.withUnsafeBufferPointer { pa in
        absB.withUnsafeBufferPointer { pb in
            magnitude.withUnsafeMutableBufferPointer {
                matmulReference(pa, pb, into: $0, m: rows, n: n, k: k, transposeA: gemm.transposeA,
                                transposeB: gemm.transposeB)
            }
        }
    }
    for index in 0..<expected.count {
        let allowed = 4 * (Float(k).squareRoot() + 2) * Float.ulpOfOne * magnitude[index] + Float.leastNormalMagnitude
        let value = c[range.lowerBound * n + index]
        guard abs(value - expected[index]) <= allowed else {  // also catches NaN: an element never written
            throw BenchmarkFailure(description: "\(gemm.shape) \(gemm.pass): C[\(range.lowerBound + index / n), "
                + "\(index % n)] = \(value) but the reference gives \(expected[index]) (allowed error \(allowed))")
        }
    }
}

/// `count` values uniform in [-1, 1) from a seeded SplitMix64 generator: same seed, same values.
func seededUniform(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
}
