// Elementwise activation functions and their masks, out[i] = f(x[i]) on flat Float buffers.
// `out` may be the very same buffer as `x`. exp and sigmoid use an 8-lane exp; the rest the C library.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// out[i] = f(x[i]), scalar loop (for functions with no 8-lane version).
@inline(__always)
func mapScalar(
    _ x: UnsafeBufferPointer<Float>, _ out: UnsafeMutableBufferPointer<Float>, _ name: String,
    _ f: @escaping @Sendable (Float) -> Float
) {
    precondition(x.count == out.count, "\(name): x has \(x.count) elements but out has \(out.count)")
    guard let px = x.baseAddress, let po = out.baseAddress else { return }
    nonisolated(unsafe) let (sx, so) = (px, po)
    forEachChunk(out.count, chunkSize: elementwiseChunk / 4) { range in
        for i in range { so[i] = f(sx[i]) }
    }
}

/// eˣ on eight lanes, within 1 ulp of the C library's `expf` (checked on every 64th Float in
/// [−110, 95]). Cody–Waite reduction x = n·ln2 + r with |r| ≤ ln2/2, the Cephes degree-6
/// polynomial for eʳ (evaluated by Estrin's scheme), then scaling by 2ⁿ in two halves, so overflow gives +inf and underflow
/// reaches the subnormals and 0. NaN stays NaN.
@inline(__always)
func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = x.replacing(with: -104, where: x .< -104).replacing(with: 89, where: x .> 89)
    let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5·2²³: adding it rounds to an integer
    let biased = clamped * 1.442_695_04 + magic      // n + magic, n = round(x / ln2)
    let n = biased - magic
    var r = clamped.addingProduct(n, SIMD8(repeating: -0.693_359_375))  // ln2 split in a high
    r = r.addingProduct(n, SIMD8(repeating: 2.121_944_4e-4))             // and a low part
    // eʳ ≈ 1 + r + r²·(c2 + c3·r + … + c7·r⁵) by Estrin's scheme (independent pairs, short latency).
    let r2 = r * r
    let c01 = SIMD8<Float>(repeating: 1).addingProduct(r, SIMD8(repeating: 1))
    let c23 = SIMD8<Float>(repeating: 5.000_000_12e-1).addingProduct(r, SIMD8(repeating: 1.666_666_55e-1))
    let c45 = SIMD8<Float>(repeating: 4.166_579_59e-2).addingProduct(r, SIMD8(repeating: 8.333_451_9e-3))
    let c67 = SIMD8<Float>(repeating: 1.398_199_95e-3).addingProduct(r, SIMD8(repeating: 1.987_569_15e-4))
    let p = c01.addingProduct(r2, c23.addingProduct(r2, c45.addingProduct(r2, c67)))
    // 2ⁿ = 2^(n/2) · 2^(n − n/2), each a normal Float for n in [−150, 128].
    let exponent = unsafeBitCast(biased, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = exponent &>> 1
    let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let scale2 = unsafeBitCast((exponent &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    return p * scale1 * scale2
}

/// Stable softplus log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)).
@inline(__always)
func softplusScalar(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }

/// out = eˣ
public func exp(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "exp: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { exp8($0) }, { exp8(SIMD8(repeating: $0))[0] })
}

/// out = ln x (NaN for x < 0, −inf for 0)
public func log(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "log") { logf($0) }
}

/// out = tanh x
public func tanh(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "tanh") { tanhf($0) }
}

/// out = 1 / (1 + e^(−x)) (e^(−x) = inf for x ≪ 0 gives exactly 0, never NaN)
public func sigmoid(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "sigmoid: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { 1 / (1 + exp8(-$0)) }, { 1 / (1 + exp8(SIMD8(repeating: -$0))[0]) })
}

/// out = log(1 + eˣ), computed stably as max(x, 0) + log1p(e^(−|x|))
public func softplus(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "softplus") { softplusScalar($0) }
}

/// out = x > 0 ? x : α(eˣ − 1)
public func elu(_ x: UnsafeBufferPointer<Float>, alpha: Float, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "elu") { $0 > 0 ? $0 : alpha * expm1f($0) }
}

/// out = max(x, 0)
public func relu(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "relu: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { $0.replacing(with: 0, where: .zero .> $0) }, { $0 < 0 ? 0 : $0 })
}

/// out = x > 0 ? x : slope·x
public func leakyRelu(_ x: UnsafeBufferPointer<Float>, slope: Float, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "leakyRelu: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { $0.replacing(with: $0 * slope, where: .zero .>= $0) }, { $0 > 0 ? $0 : slope * $0 })
}

/// out = x > 0 ? 1 : 0 (the ReLU derivative)
public func positiveMask(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "positiveMask: x has \(x.count) elements but out has \(out.count)")
    mapUnary(
        x, out, { SIMD8<Float>(repeating: 0).replacing(with: 1, where: $0 .> 0) }, { $0 > 0 ? 1 : 0 })
}

/// out = x > 0 ? 1 : slope (the leaky-ReLU derivative)
public func leakyMask(_ x: UnsafeBufferPointer<Float>, slope: Float, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "leakyMask: x has \(x.count) elements but out has \(out.count)")
    mapUnary(
        x, out, { SIMD8<Float>(repeating: slope).replacing(with: 1, where: $0 .> 0) }, { $0 > 0 ? 1 : slope })
}

/// out = x²
public func square(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "square: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { $0 * $0 }, { $0 * $0 })
}

/// out = √x (NaN for x < 0)
public func squareRoot(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "squareRoot: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { $0.squareRoot() }, { $0.squareRoot() })
}

/// out = 1 / x
public func reciprocal(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "reciprocal: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { 1 / $0 }, { 1 / $0 })
}

/// out = max(a, b) elementwise (NaN handling as `Float.maximum`'s lanes: not specified for NaN)
public func maximum(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    checkSameCount("maximum", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0.replacing(with: $1, where: $1 .> $0) }, { $1 > $0 ? $1 : $0 })
}

/// out = min(a, b) elementwise
public func minimum(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    checkSameCount("minimum", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0.replacing(with: $1, where: $1 .< $0) }, { $1 < $0 ? $1 : $0 })
}
