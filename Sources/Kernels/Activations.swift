// Elementwise activation functions and their masks, out[i] = f(x[i]) on flat Float buffers.
// `out` may be the very same buffer as `x`. exp, log, sigmoid and softplus use the 8-lane functions of
// VectorMath.swift; tanh and elu (which needs expm1) the C library.

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

/// Stable softplus log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)) on eight lanes, with
/// log1p(y) = ln(u)·y/(u − 1), u = 1 + y (exact enough when u rounds; y itself when u == 1).
@inline(__always)
func softplus8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let y = exp8(x.replacing(with: -x, where: x .> 0))  // e^(−|x|)
    let u = 1 + y
    let log1p = (log8(u) * (y / (u - 1))).replacing(with: y, where: u .== 1)
    return x.replacing(with: 0, where: x .< 0) + log1p
}

/// out = eˣ
public func exp(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "exp: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { exp8($0) }, { exp8(SIMD8(repeating: $0))[0] })
}

/// out = ln x (NaN for x < 0, −inf for 0)
public func log(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "log: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { log8($0) }, { log8(SIMD8(repeating: $0))[0] })
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
    precondition(x.count == out.count, "softplus: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { softplus8($0) }, { softplus8(SIMD8(repeating: $0))[0] })
}

/// out = x > 0 ? x : α(eˣ − 1)
public func elu(_ x: UnsafeBufferPointer<Float>, alpha: Float, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "elu") { $0 > 0 ? $0 : alpha * expm1f($0) }
}

/// out = max(x, 0)
public func relu(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    precondition(x.count == out.count, "relu: x has \(x.count) elements but out has \(out.count)")
    mapUnary(x, out, { rectified($0) }, { rectified($0) })
}

/// max(v, 0) lane by lane: negative lanes become 0; NaN and −0 stay as they are.
@inline(__always)
func rectified(_ v: SIMD8<Float>) -> SIMD8<Float> { v.replacing(with: 0, where: .zero .> v) }

/// max(x, 0), keeping NaN and −0 (the lanes of `rectified(_: SIMD8<Float>)`).
@inline(__always)
func rectified(_ x: Float) -> Float { x < 0 ? 0 : x }

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

/// out = x > 0 ? g : 0: the ReLU pullback g ⊙ [x > 0] in one pass, without a mask tensor.
/// (Unlike g·mask it gives 0, not NaN, where g is ±inf or NaN and x ≤ 0, as PyTorch's ReLU backward.)
public func keepWherePositive(_ g: UnsafeBufferPointer<Float>, where x: UnsafeBufferPointer<Float>,
                              into out: UnsafeMutableBufferPointer<Float>) {
    checkSameCount("keepWherePositive", g.count, x.count, out.count)
    mapBinary(g, x, out, { g, x in SIMD8<Float>(repeating: 0).replacing(with: g, where: x .> 0) }, { $1 > 0 ? $0 : 0 })
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

/// out = max(a, b) elementwise: b where b > a, else a (so a NaN in a is kept, a NaN in b ignored)
public func maximum(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>
) {
    checkSameCount("maximum", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0.replacing(with: $1, where: $1 .> $0) }, { $1 > $0 ? $1 : $0 })
}

/// out = min(a, b) elementwise: b where b < a, else a
public func minimum(
    _ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>
) {
    checkSameCount("minimum", a.count, b.count, out.count)
    mapBinary(a, b, out, { $0.replacing(with: $1, where: $1 .< $0) }, { $1 < $0 ? $1 : $0 })
}
