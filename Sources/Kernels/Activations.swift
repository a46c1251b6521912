// Elementwise activation functions and their masks, out[i] = f(x[i]) on flat Float buffers.
// `out` may be the very same buffer as `x`. Transcendentals use the C library (Glibc/Darwin).

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

/// Stable softplus log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)).
@inline(__always)
func softplusScalar(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }

/// Logistic sigmoid 1 / (1 + e^(−x)), computed without overflow for large |x|.
@inline(__always)
func sigmoidScalar(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

/// out = eˣ
public func exp(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "exp") { expf($0) }
}

/// out = ln x (NaN for x < 0, −inf for 0)
public func log(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "log") { logf($0) }
}

/// out = tanh x
public func tanh(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "tanh") { tanhf($0) }
}

/// out = 1 / (1 + e^(−x))
public func sigmoid(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
    mapScalar(x, out, "sigmoid") { sigmoidScalar($0) }
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
