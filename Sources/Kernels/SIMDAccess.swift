// Eight-lane Float loads and stores (and Int32 index loads) at any address (no alignment needed).
// They compile to single `vmovups` instructions on AVX2; no bounds checks, so callers keep indices valid.

/// Loads `p[0..<8]` as one vector.
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Loads `p[0..<8]` as one vector.
@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores the eight lanes of `v` to `p[0..<8]`.
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Stores four vectors to `p[0..<32]` (a 32-channel block of sums).
@inline(__always)
func store32(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ v2: SIMD8<Float>, _ v3: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    store8(v0, p)
    store8(v1, p + 8)
    store8(v2, p + 16)
    store8(v3, p + 24)
}

/// Loads `p[0..<8]` as one vector of indices.
@inline(__always)
func load8(_ p: UnsafePointer<Int32>) -> SIMD8<Int32> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int32>.self)
}

#if METALEARN_AVX512
/// Loads `p[0..<16]` as one vector (one zmm register; AVX-512 builds only).
@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Loads `p[0..<16]` as one vector (one zmm register; AVX-512 builds only).
@inline(__always)
func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Stores the sixteen lanes of `v` to `p[0..<16]` (AVX-512 builds only).
@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
#endif
