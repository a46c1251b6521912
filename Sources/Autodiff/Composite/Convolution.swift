// 2-D convolution and transposed convolution, composed from im2col/col2im and matmul.
// No derivative rules here: the primitives' rules compose, so second order is exact.

import Kernels

/// y = conv(x, W) + b, NHWC.
///
/// - Parameters:
///   - x: input `[batch, height, width, inChannels]`.
///   - weights: `[kernelHeight, kernelWidth, inChannels, outChannels]` (HWIO, as TensorFlow).
///   - bias: `[outChannels]`, or nil.
/// - Returns: `[batch, outHeight, outWidth, outChannels]`.
///
/// im2col turns x into `cols [batch·ho·wo, kh·kw·cin]`, and y = cols · W is one GEMM with the
/// batch folded into its M dimension.
public func conv2D(_ x: Variable, weights: Variable, bias: Variable? = nil, stride: Int = 1,
                   padding: Padding = .valid) -> Variable {
    precondition(x.shape.count == 4 && weights.shape.count == 4 && x.shape[3] == weights.shape[2],
                 "conv2D: input \(x.shape) and weights \(weights.shape) do not fit (NHWC, HWIO)")
    let (kh, kw, cin, cout) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
    let geometry = ConvGeometry(batch: x.shape[0], inputHeight: x.shape[1], inputWidth: x.shape[2],
                                inputChannels: cin, kernelHeight: kh, kernelWidth: kw,
                                stride: stride, padding: padding)
    var y = matmul(x.im2col(geometry), weights.reshaped(to: [kh * kw * cin, cout]))
    if let bias { y = y.addingBias(bias) }
    return y.reshaped(to: [geometry.batch, geometry.outputHeight, geometry.outputWidth, cout])
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
    let rows = y.reshaped(to: [geometry.columnRows, cin])
    let cols = matmul(rows, weights.reshaped(to: [kh * kw * cout, cin]), transposeB: true)
    var x = cols.col2im(geometry)
    if let bias {
        x = x.reshaped(to: [geometry.batch * outputHeight * outputWidth, cout]).addingBias(bias)
            .reshaped(to: [geometry.batch, outputHeight, outputWidth, cout])
    }
    return x
}
