// Eight-lane exp and log for the activations and softmax: Cephes-style range reduction and
// polynomials, within 1 ulp of the C library (glibc expf/logf); IEEE special values are kept.

/// eˣ on eight lanes, within 1 ulp of the C library's `expf` (checked on every 64th Float in
/// [−110, 95]). Cody–Waite reduction x = n·ln2 + r with |r| ≤ ln2/2, the Cephes degree-6
/// polynomial for eʳ (by Estrin's scheme), then scaling by 2ⁿ in two halves, so overflow gives
/// +inf and underflow reaches the subnormals and 0. NaN stays NaN.
@inline(__always)
func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = x.replacing(with: -104, where: x .< -104).replacing(with: 89, where: x .> 89)
    let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5·2²³: adding it rounds to an integer
    let biased = clamped * 1.442_695_04 + magic      // n + magic, n = round(x / ln2)
    let n = biased - magic
    var r = clamped.plusProduct(n, SIMD8(repeating: -0.693_359_375))  // ln2 split in a high
    r = r.plusProduct(n, SIMD8(repeating: 2.121_944_4e-4))             // and a low part
    // eʳ ≈ 1 + r + r²·(c2 + c3·r + … + c7·r⁵) by Estrin's scheme (independent pairs, short latency).
    let r2 = r * r
    let c01 = SIMD8<Float>(repeating: 1).plusProduct(r, SIMD8(repeating: 1))
    let c23 = SIMD8<Float>(repeating: 5.000_000_12e-1).plusProduct(r, SIMD8(repeating: 1.666_666_55e-1))
    let c45 = SIMD8<Float>(repeating: 4.166_579_59e-2).plusProduct(r, SIMD8(repeating: 8.333_451_9e-3))
    let c67 = SIMD8<Float>(repeating: 1.398_199_95e-3).plusProduct(r, SIMD8(repeating: 1.987_569_15e-4))
    let p = c01.plusProduct(r2, c23.plusProduct(r2, c45.plusProduct(r2, c67)))
    // 2ⁿ = 2^(n/2) · 2^(n − n/2), each a normal Float for n in [−150, 128].
    let exponent = unsafeBitCast(biased, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = exponent &>> 1
    let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let scale2 = unsafeBitCast((exponent &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    return p * scale1 * scale2
}

/// ln x on eight lanes, within 1 ulp of the C library's `logf` (checked on every 37th positive Float).
/// x = m·2ᵉ with m in [√½, √2), ln x = e·ln2 + ln(1 + f), f = m − 1, by the Cephes logf polynomial.
/// Subnormals are rescaled first; ln 0 = −inf, ln(x < 0) = NaN, ln inf = inf, NaN stays NaN.
@inline(__always)
func log8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Subnormals: scale by 2²³ first so the exponent field is meaningful.
    let tiny = x .< Float.leastNormalMagnitude
    let scaled = x.replacing(with: x * 8_388_608, where: tiny)
    let bits = unsafeBitCast(scaled, to: SIMD8<Int32>.self)
    // The biased exponent field (0...255) as a Float via the 2²³ trick, then e with x = m·2^e, m in [0.5, 1).
    let field = unsafeBitCast((bits &>> 23) | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_608
    var exponent = field - 126
    exponent.replace(with: exponent - 23, where: tiny)
    var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: SIMD8<Float>.self)
    // Move m to [√½, √2) so f = m − 1 is small.
    let small = m .< 0.707_106_781
    exponent.replace(with: exponent - 1, where: small)
    m.replace(with: m + m, where: small)
    let f = m - 1
    let z = f * f
    var p = SIMD8<Float>(repeating: 7.037_683_629_2e-2)
    p = SIMD8(repeating: -1.151_461_031_0e-1).plusProduct(p, f)
    p = SIMD8(repeating: 1.167_699_874_0e-1).plusProduct(p, f)
    p = SIMD8(repeating: -1.242_014_084_6e-1).plusProduct(p, f)
    p = SIMD8(repeating: 1.424_932_278_7e-1).plusProduct(p, f)
    p = SIMD8(repeating: -1.666_805_766_5e-1).plusProduct(p, f)
    p = SIMD8(repeating: 2.000_071_476_5e-1).plusProduct(p, f)
    p = SIMD8(repeating: -2.499_999_399_3e-1).plusProduct(p, f)
    p = SIMD8(repeating: 3.333_333_117_4e-1).plusProduct(p, f)
    var y = (f * z) * p
    y = y.plusProduct(exponent, SIMD8(repeating: -2.121_944_4e-4))
    y = y.plusProduct(z, SIMD8(repeating: -0.5))
    var result = (f + y).plusProduct(exponent, SIMD8(repeating: 0.693_359_375))
    result.replace(with: -.infinity, where: x .== 0)
    result.replace(with: Float.nan, where: x .< 0)
    result.replace(with: x, where: x .== .infinity)
    result.replace(with: x, where: x .!= x)
    return result
}
