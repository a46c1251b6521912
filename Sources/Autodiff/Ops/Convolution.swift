// 2-D convolution (NHWC input, HWIO weights) as one primitive, with its input gradient (the
// transposed convolution) and its weight gradient as primitives too. Each one's derivatives are
// written in the three, so second order is exact:
//
//   y = conv(x, W)     JVP  conv(dx, W) + conv(x, dW)       VJP  x̄ = convT(ȳ, W),   W̄ = convW(x, ȳ)
//   x = convT(y, W)    JVP  convT(dy, W) + convT(y, dW)     VJP  ȳ = conv(x̄, W),    W̄ = convW(x̄, y)
//   G = convW(x, y)    JVP  convW(dx, y) + convW(x, dy)     (its VJP, convT(y, Ḡ) and conv(x, Ḡ), is not needed)
//
// conv is im2col then a GEMM, convT a GEMM then col2im, convW im2col then a transposed GEMM; the
// kernels build the column matrix a few images at a time, in cache (Kernels/Convolution.swift), and
// take the two terms of a tangent in one call.

import Kernels

// MARK: - Tensor (value only)

extension Tensor {
    /// Σₜ conv(xₜ, Wₜ): xₜ [b, H, W, cin], Wₜ [kh, kw, cin, cout] → [b, ho, wo, cout].
    static func convolutionSum(_ terms: [(x: Tensor, weights: Tensor)], geometry g: ConvGeometry) -> Tensor {
        let cout = terms[0].weights.shape[3]
        return withBuffers(terms.flatMap { [$0.x, $0.weights] }) { buffers in
            Tensor.filled(shape: [g.batch, g.outputHeight, g.outputWidth, cout]) {
                Kernels.convolution(pairs(buffers), into: $0, geometry: g, outputChannels: cout)
            }
        }
    }

    /// Σₜ convT(yₜ, Wₜ): yₜ [b, ho, wo, cout], Wₜ [kh, kw, cin, cout] → [b, H, W, cin].
    static func transposedConvolutionSum(_ terms: [(y: Tensor, weights: Tensor)], geometry g: ConvGeometry) -> Tensor {
        let cout = terms[0].weights.shape[3]
        return withBuffers(terms.flatMap { [$0.y, $0.weights] }) { buffers in
            Tensor.filled(shape: [g.batch, g.inputHeight, g.inputWidth, g.inputChannels]) {
                Kernels.transposedConvolution(pairs(buffers), into: $0, geometry: g, outputChannels: cout)
            }
        }
    }

    /// Σₜ convW(xₜ, yₜ): xₜ [b, H, W, cin], yₜ [b, ho, wo, cout] → [kh, kw, cin, cout].
    static func convolutionWeightGradientSum(_ terms: [(x: Tensor, y: Tensor)], geometry g: ConvGeometry) -> Tensor {
        let cout = terms[0].y.shape[3]
        return withBuffers(terms.flatMap { [$0.x, $0.y] }) { buffers in
            Tensor.filled(shape: [g.kernelHeight, g.kernelWidth, g.inputChannels, cout]) {
                Kernels.convolutionWeightGradient(pairs(buffers), into: $0, geometry: g, outputChannels: cout)
            }
        }
    }
}

/// [a₀, b₀, a₁, b₁, …] → [(a₀, b₀), (a₁, b₁), …]
private func pairs(_ buffers: [UnsafeBufferPointer<Float>]) -> [(UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>)] {
    stride(from: 0, to: buffers.count, by: 2).map { (buffers[$0], buffers[$0 + 1]) }
}

// MARK: - Dual (forward mode)

/// conv(x, W) with tangent conv(dx, W) + conv(x, dW).
func convolution(_ x: Dual, _ w: Dual, geometry: ConvGeometry) -> Dual {
    bilinear(.convolution, x, w, geometry: geometry) { Tensor.convolutionSum($0, geometry: $1) }
}

/// convT(y, W) with tangent convT(dy, W) + convT(y, dW).
func transposedConvolution(_ y: Dual, _ w: Dual, geometry: ConvGeometry) -> Dual {
    bilinear(.transposedConvolution, y, w, geometry: geometry) { Tensor.transposedConvolutionSum($0, geometry: $1) }
}

/// convW(x, y) with tangent convW(dx, y) + convW(x, dy).
func convolutionWeightGradient(_ x: Dual, _ y: Dual, geometry: ConvGeometry) -> Dual {
    bilinear(.convolutionWeightGradient, x, y, geometry: geometry) {
        Tensor.convolutionWeightGradientSum($0, geometry: $1)
    }
}

/// f(a, b) for an f that is linear in each argument, given as a sum of terms Σₜ f(aₜ, bₜ): the value
/// f(a, b) and the tangent f(da, b) + f(a, db), the two terms in one call.
private func bilinear(_ site: PrimalSite, _ a: Dual, _ b: Dual, geometry: ConvGeometry,
                      _ sum: ([(Tensor, Tensor)], ConvGeometry) -> Tensor) -> Dual {
    let value = primalValue(site, a.shape + b.shape + geometry.key) { sum([(a.value, b.value)], geometry) }
    var terms: [(Tensor, Tensor)] = []
    if let da = a.tangent { terms.append((da, b.value)) }
    if let db = b.tangent { terms.append((a.value, db)) }
    return Dual(value, tangent: terms.isEmpty ? nil : sum(terms, geometry))
}

// MARK: - Variable (reverse mode)

/// y = conv(x, W) + b, NHWC.
///
/// - Parameters:
///   - x: input `[batch, height, width, inChannels]`.
///   - weights: `[kernelHeight, kernelWidth, inChannels, outChannels]` (HWIO, as TensorFlow).
///   - bias: `[outChannels]`, or nil.
/// - Returns: `[batch, outHeight, outWidth, outChannels]`.
public func conv2D(_ x: Variable, weights: Variable, bias: Variable? = nil, stride: Int = 1,
                   padding: Padding = .valid) -> Variable {
    precondition(x.shape.count == 4 && weights.shape.count == 4 && x.shape[3] == weights.shape[2],
                 "conv2D: input \(x.shape) and weights \(weights.shape) do not fit (NHWC, HWIO)")
    let (kh, kw, cin) = (weights.shape[0], weights.shape[1], weights.shape[2])
    let geometry = ConvGeometry(batch: x.shape[0], inputHeight: x.shape[1], inputWidth: x.shape[2],
                                inputChannels: cin, kernelHeight: kh, kernelWidth: kw,
                                stride: stride, padding: padding)
    let (xd, wd) = (x.dual, weights.dual)
    let y = x.tape.record(convolution(xd, wd, geometry: geometry), inputs: [x, weights]) { g, needed in
        [needed[0] ? transposedConvolution(g, wd, geometry: geometry) : nil,
         needed[1] ? convolutionWeightGradient(xd, g, geometry: geometry) : nil]
    }
    return bias.map { addingChannelBias(y, $0) } ?? y
}

/// The transposed convolution (the adjoint of `conv2D` with respect to its input), NHWC.
///
/// - Parameters:
///   - y: `[batch, inHeight, inWidth, channels]` where `channels = weights.shape[3]`.
///   - weights: `[kh, kw, outChannels, channels]`, the weights of the convolution this one transposes.
///   - outputHeight, outputWidth: the size of the result; a convolution of that size with the
///     same stride and padding must give `inHeight × inWidth` (e.g. k4 s2 p1: 2 → 4, k3 s2 p1: 4 → 7).
/// - Returns: `[batch, outputHeight, outputWidth, outChannels]` = col2im(y · Wᵀ) + b.
public func transposedConv2D(_ y: Variable, weights: Variable, bias: Variable? = nil,
                             outputHeight: Int, outputWidth: Int, stride: Int, padding: Padding) -> Variable {
    let (kh, kw, cout, cin) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
    let geometry = ConvGeometry(batch: y.shape[0], inputHeight: outputHeight, inputWidth: outputWidth,
                                inputChannels: cout, kernelHeight: kh, kernelWidth: kw,
                                stride: stride, padding: padding)
    precondition(y.shape == [geometry.batch, geometry.outputHeight, geometry.outputWidth, cin],
                 "transposedConv2D: input \(y.shape) does not map to \(outputHeight)×\(outputWidth) " +
                 "(a convolution of that size gives \(geometry.outputHeight)×\(geometry.outputWidth))")
    let (yd, wd) = (y.dual, weights.dual)
    let x = y.tape.record(transposedConvolution(yd, wd, geometry: geometry), inputs: [y, weights]) { g, needed in
        [needed[0] ? convolution(g, wd, geometry: geometry) : nil,
         needed[1] ? convolutionWeightGradient(g, yd, geometry: geometry) : nil]
    }
    return bias.map { addingChannelBias(x, $0) } ?? x
}

/// x [b, h, w, c] + bias [c] on every position.
private func addingChannelBias(_ x: Variable, _ bias: Variable) -> Variable {
    let shape = x.shape
    return x.reshaped(to: [shape[0] * shape[1] * shape[2], shape[3]]).addingBias(bias).reshaped(to: shape)
}
