// im2col (NHWC input → [b·ho·wo, kh·kw·c] patch matrix, column = (i·kw + j)·c + channel) and its adjoint
// col2im, plus the transposed convolution built on them (cols = y·Wᵀ, then col2im).

/// x [b, H, W, c] → cols [b·ho·wo, kh·kw·c]: row (b, oy, ox) holds the input patch under that output
/// position, column (i·kw + j)·c + channel; padded positions are 0.
public func im2col(_ x: UnsafeBufferPointer<Float>, into cols: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry) {
    im2colReference(x, into: cols, geometry: geometry)
}

/// The adjoint of `im2col`: x (+)= scatter-sum of cols, so ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩.
public func col2im(_ cols: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry, accumulate: Bool = false) {
    col2imReference(cols, into: x, geometry: geometry, accumulate: accumulate)
}

/// Transposed convolution: given y [b, ho, wo, cout] and weights [kh, kw, cin, cout] of a convolution with
/// this geometry, x [b, H, W, cin] (+)= its adjoint applied to y. E.g. PyTorch ConvTranspose(k4, s2, p1)
/// 2→4 is the geometry of a convolution 4→2 with k4, s2, padding 1.
public func transposedConvolution(
    _ y: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>,
    geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    transposedConvolutionReference(y, weights: weights, into: x, geometry: geometry, outputChannels: outputChannels, accumulate: accumulate)
}
