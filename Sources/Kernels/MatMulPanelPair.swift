// Two neighbouring 16-column panels of C in one pass over the A panel: a 6×32 tile.
//
// With AVX-512 (a build for a CPU that has it, see Package.swift) one zmm register holds a whole
// 16-column row of a panel, so the tile is 12 SIMD16 accumulators, the same register count as the
// 6×16 AVX2 tile, doing twice the work per instruction; each broadcast of A (one `vbroadcastss` to a
// zmm register) feeds two FMAs. Elsewhere the pair is two 6×16 tiles.
//
// Every element of C gets the same fused multiply-adds in the same order (p = 0, 1, …) as in the
// 6×16 kernel, so both builds, and paired or single tiles, give the same bits.

#if METALEARN_AVX512
/// Whether a pair of panels runs as one 6×32 tile (AVX-512 builds).
public let pairsColumnPanels = true

extension SIMD16 where Scalar == Float {
    /// self + a·b, lane by lane, fused (AVX-512 builds always have FMA).
    @inline(__always)
    func plusProduct(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { addingProduct(a, b) }
}

/// Stores the sixteen lanes of `v` to `p[0..<16]`, or adds them to what is there when `add`.
@inline(__always)
private func write16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ add: Bool) {
    store16(add ? load16(p) + v : v, p)
}

/// Tile[6×32] (+)= Apanel · [Bpanel₀ Bpanel₁] over `depth` steps: columns 0..<16 of the tile from
/// `b0`, columns 16..<32 from `b1` (both with row stride `ldb`); A and C as in `microKernel6x16`.
/// - Complexity: 192·depth fused multiply-adds; reads 38·depth floats.
/// Never inlined: inlined into `matmul` over a `PackedB`, LLVM once kept its accumulators on the stack
/// (W3-FO's 42×192×32 products ran at 45 instead of 195 GFLOP/s). A call per tile costs nothing measurable.
@inline(never)
func microKernelPair(depth: Int, a: UnsafePointer<Float>, layout: APanelLayout, b0: UnsafePointer<Float>,
                     b1: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, addToC: Bool) {
    let (rowStride, depthStride) = (layout.rowStride, layout.depthStride)
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>()
    var c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>()
    var c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>()
    var c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
    var (pa, pb0, pb1) = (a, b0, b1)
    for _ in 0..<depth {
        let (u, v) = (load16(pb0), load16(pb1))
        var s = SIMD16<Float>(repeating: pa[0])
        c00 = c00.plusProduct(s, u); c01 = c01.plusProduct(s, v)
        s = SIMD16<Float>(repeating: pa[1 * rowStride])
        c10 = c10.plusProduct(s, u); c11 = c11.plusProduct(s, v)
        s = SIMD16<Float>(repeating: pa[2 * rowStride])
        c20 = c20.plusProduct(s, u); c21 = c21.plusProduct(s, v)
        s = SIMD16<Float>(repeating: pa[3 * rowStride])
        c30 = c30.plusProduct(s, u); c31 = c31.plusProduct(s, v)
        s = SIMD16<Float>(repeating: pa[4 * rowStride])
        c40 = c40.plusProduct(s, u); c41 = c41.plusProduct(s, v)
        s = SIMD16<Float>(repeating: pa[5 * rowStride])
        c50 = c50.plusProduct(s, u); c51 = c51.plusProduct(s, v)
        pa += depthStride
        pb0 += ldb
        pb1 += ldb
    }
    write16(c00, c, addToC); write16(c01, c + 16, addToC)
    write16(c10, c + ldc, addToC); write16(c11, c + ldc + 16, addToC)
    write16(c20, c + 2 * ldc, addToC); write16(c21, c + 2 * ldc + 16, addToC)
    write16(c30, c + 3 * ldc, addToC); write16(c31, c + 3 * ldc + 16, addToC)
    write16(c40, c + 4 * ldc, addToC); write16(c41, c + 4 * ldc + 16, addToC)
    write16(c50, c + 5 * ldc, addToC); write16(c51, c + 5 * ldc + 16, addToC)
}
#else
/// Whether a pair of panels runs as one 6×32 tile (AVX-512 builds).
public let pairsColumnPanels = false

/// Two 6×16 tiles, `b0`'s then `b1`'s (builds without AVX-512).
@inline(__always)
func microKernelPair(depth: Int, a: UnsafePointer<Float>, layout: APanelLayout, b0: UnsafePointer<Float>,
                     b1: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, addToC: Bool) {
    microKernel6x16(depth: depth, a: a, layout: layout, b: b0, ldb: ldb, c: c, ldc: ldc, addToC: addToC)
    microKernel6x16(depth: depth, a: a, layout: layout, b: b1, ldb: ldb, c: c + microColumns, ldc: ldc, addToC: addToC)
}
#endif
