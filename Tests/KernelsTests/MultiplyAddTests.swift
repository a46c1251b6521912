// `plusProduct` (MultiplyAdd.swift): one rounding where the build has fused multiply-add, two elsewhere,
// the same for the scalar, vector and vector-times-scalar forms (kernels finish vector loops with
// scalar tails), and a flag and a target name that say which build this is.

@testable import Kernels
import Testing

@Suite struct MultiplyAddTests {
    /// −1 + a·a with a = 1 + 2⁻¹²: exactly 2⁻¹¹ + 2⁻²⁴. Rounding a·a first (to 1 + 2⁻¹¹, a tie to even)
    /// leaves 2⁻¹¹.
    @Test func roundsOnceExactlyWhenFused() {
        let a: Float = 1 + 0x1p-12
        let expected: Float = multiplyAddIsFused ? 0x1p-11 + 0x1p-24 : 0x1p-11
        #expect(Float(-1).plusProduct(a, a) == expected)
        let vector = SIMD8<Float>(repeating: -1).plusProduct(SIMD8(repeating: a), SIMD8(repeating: a))
        #expect(vector == SIMD8(repeating: expected))
        let byScalar = SIMD8<Float>(repeating: -1).plusProduct(a, SIMD8(repeating: a))
        #expect(byScalar == SIMD8(repeating: expected))
    }

    /// The CLI and the benchmarks print advice only for a build that multiplies and adds on a CPU with FMA.
    @Test func adviceOnlyForAnUnfusedBuildOnAnFMACPU() {
        let fmaCPU: Set<String> = ["sse2", "avx", "avx2", "fma"]
        let advice = CPUFeatures.slowBuildAdvice(fused: false, cpuFlags: fmaCPU)
        #expect(advice?.contains("-target-cpu -Xswiftc haswell") == true)
        #expect(CPUFeatures.slowBuildAdvice(fused: true, cpuFlags: fmaCPU) == nil)
        #expect(CPUFeatures.slowBuildAdvice(fused: false, cpuFlags: ["sse2", "avx", "avx2"]) == nil)
        #expect(CPUFeatures.slowBuildAdvice(fused: false, cpuFlags: nil) == nil)
        // METALEARN_TARGET_CPU=x86-64 asks for the slower build on purpose: no note.
        #expect(CPUFeatures.slowBuildAdvice(fused: false, targetChosen: true, cpuFlags: fmaCPU) == nil)
        #if arch(x86_64) && os(Linux)
        if multiplyAddIsFused { #expect(CPUFeatures.slowBuildAdvice() == nil) }
        #endif
    }

    @Test func targetNameAgreesWithTheFlag() {
        #if arch(x86_64)
        #expect(multiplyAddIsFused == CPUFeatures.compiledTarget.contains("FMA"))
        #elseif arch(arm64)
        #expect(multiplyAddIsFused)
        #endif
    }
}
