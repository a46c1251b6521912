// `microKernelPair` (MatMulPanelPair.swift): a 6×32 tile gives, bit for bit, the two 6×16 tiles of
// `microKernel6x16`, for every A layout the products use, stored or added, at depths around the
// SIMD width. In AVX-512 builds this is the zmm kernel; elsewhere it is the two calls themselves.
// Also: which CPU features an AVX-512 or AVX2 binary asks for before it starts.

@testable import Kernels
import Randomness
import Testing

@Suite struct MatMulPanelPairTests {
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1..<1, using: &generator) }
    }

    @Test(arguments: [1, 7, 8, 33, 192])
    func pairEqualsTwoSingleTilesBitForBit(depth: Int) {
        let ldb = 40, ldc = 37  // B read in place from a wider matrix; C rows not a multiple of 16
        let layouts: [(APanelLayout, Int)] = [  // (layout, floats of A it reads)
            (.rowMajor(rowStride: depth + 3), 6 * (depth + 3)),
            (.depthMajor, 6 * depth),
            (APanelLayout(rowStride: 1, depthStride: 11), 11 * depth),  // transposed A read in place
        ]
        let b = values(depth * ldb + 32, seed: 2)
        let c0 = values(6 * ldc, seed: 3)
        for (index, (layout, aCount)) in layouts.enumerated() {
            let a = values(aCount, seed: 1 + UInt64(index))
            for addToC in [false, true] {
                var paired = c0, single = c0
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        let (b0, b1) = (pb.baseAddress! + 3, pb.baseAddress! + 3 + microColumns)
                        paired.withUnsafeMutableBufferPointer { pc in
                            microKernelPair(depth: depth, a: pa.baseAddress!, layout: layout, b0: b0, b1: b1, ldb: ldb,
                                            c: pc.baseAddress!, ldc: ldc, addToC: addToC)
                        }
                        single.withUnsafeMutableBufferPointer { pc in
                            microKernel6x16(depth: depth, a: pa.baseAddress!, layout: layout, b: b0, ldb: ldb,
                                            c: pc.baseAddress!, ldc: ldc, addToC: addToC)
                            microKernel6x16(depth: depth, a: pa.baseAddress!, layout: layout, b: b1, ldb: ldb,
                                            c: pc.baseAddress! + microColumns, ldc: ldc, addToC: addToC)
                        }
                    }
                }
                #expect(paired.map(\.bitPattern) == single.map(\.bitPattern),
                        "layout \(index), addToC \(addToC): the 6×32 tile differs from two 6×16 tiles")
                // Only the tile's 32 columns of each of its 6 rows were written.
                #expect(paired[32 ..< ldc] == c0[32 ..< ldc] && paired[5 * ldc + 32 ..< 6 * ldc] == c0[5 * ldc + 32 ..< 6 * ldc])
            }
        }
    }

    @Test func aBinaryNamesTheFeaturesThisCPULacks() {
        let zen3: Set<String> = ["sse2", "avx", "avx2", "fma", "bmi2"]
        let avx512 = ["avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        let reason = CPUFeatures.unsupportedReason(required: avx512, named: "AVX-512", cpuFlags: zen3)
        #expect(reason?.contains("lacks avx512f, avx512cd, avx512bw, avx512dq, avx512vl") == true)
        #expect(reason?.contains("METALEARN_TARGET_CPU=x86-64") == true)
        #expect(CPUFeatures.unsupportedReason(required: ["avx2", "fma"], named: "AVX2 and FMA", cpuFlags: zen3) == nil)
        #expect(CPUFeatures.unsupportedReason(required: avx512, named: "AVX-512", cpuFlags: zen3.union(avx512)) == nil)
        #expect(pairsColumnPanels == CPUFeatures.compiledTarget.contains("AVX-512"))
    }
}
