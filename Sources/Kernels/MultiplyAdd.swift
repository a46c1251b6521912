// The one multiply-add of every kernel: x + a·b, fused (one rounding, `vfmadd231ps`) where the build
// targets a CPU with fused multiply-add, a multiply and an add elsewhere.
//
// `addingProduct` promises one rounding. For the generic x86-64 target (SSE2, no FMA unit) LLVM keeps
// the promise by calling libm's `fmaf` for every lane, which made a 1024³ GEMM about 120× slower than
// the AVX2 + FMA build (1.4 against 138–173 GFLOP/s). A package that depends on MetaLearn by version
// gets the generic target, because SwiftPM refuses Package.swift's `-target-cpu` flag there, and so
// does a build on a CPU without AVX2.
// Those builds multiply and add instead: results differ from an FMA build in the last bits, and the
// GEMM runs at 49–51 GFLOP/s (README, "Vector code on every CPU").

// One condition chooses the whole set: fused where the build targets FMA, separate elsewhere.
#if METALEARN_REQUIRES_AVX2 || arch(arm64)
/// Whether `plusProduct` is one fused multiply-add in this build.
public let multiplyAddIsFused = true

extension SIMD8 where Scalar == Float {
    /// self + a·b, lane by lane (fused when `multiplyAddIsFused`).
    @inline(__always)
    func plusProduct(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { addingProduct(a, b) }

    /// self + a·b with a scalar a (fused when `multiplyAddIsFused`).
    @inline(__always)
    func plusProduct(_ a: Float, _ b: SIMD8<Float>) -> SIMD8<Float> { addingProduct(a, b) }
}

extension Float {
    /// self + a·b, rounded as one lane of `SIMD8.plusProduct`, so scalar tails match vector bodies.
    @inline(__always)
    func plusProduct(_ a: Float, _ b: Float) -> Float { addingProduct(a, b) }
}
#else
public let multiplyAddIsFused = false

extension SIMD8 where Scalar == Float {
    @inline(__always)
    func plusProduct(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { self + a * b }

    @inline(__always)
    func plusProduct(_ a: Float, _ b: SIMD8<Float>) -> SIMD8<Float> { self + a * b }
}

extension Float {
    @inline(__always)
    func plusProduct(_ a: Float, _ b: Float) -> Float { self + a * b }
}
#endif
