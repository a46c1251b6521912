// im2col and col2im: the linear maps that turn a convolution into one GEMM (NHWC).
//
// im2col   x [b, H, W, c] → cols [b·ho·wo, kh·kw·c]   (column index (i·kw + j)·c + channel)
// col2im   cols → x, summing overlapping taps: the adjoint, ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩
// Both are linear: JVP = the op on the tangent; VJP of each = the other.

import Kernels

// MARK: - Tensor (value only)

extension Tensor {
    public func im2col(_ geometry: ConvGeometry) -> Tensor {
        precondition(count == geometry.inputCount,
                     "im2col: input \(shape) does not match geometry with \(geometry.inputCount) elements")
        return scalars.withUnsafeBufferPointer { x in
            Tensor.filled(shape: [geometry.columnRows, geometry.columnWidth]) {
                Kernels.im2col(x, into: $0, geometry: geometry)
            }
        }
    }

    public func col2im(_ geometry: ConvGeometry) -> Tensor {
        precondition(shape == [geometry.columnRows, geometry.columnWidth],
                     "col2im: columns \(shape) do not match [\(geometry.columnRows), \(geometry.columnWidth)]")
        return scalars.withUnsafeBufferPointer { cols in
            Tensor.filled(shape: [geometry.batch, geometry.inputHeight, geometry.inputWidth, geometry.inputChannels]) {
                Kernels.col2im(cols, into: $0, geometry: geometry)
            }
        }
    }
}

// MARK: - Dual (forward mode)

extension Dual {
    public func im2col(_ geometry: ConvGeometry) -> Dual {
        Dual(primalValue(.im2col, shape + geometry.key) { value.im2col(geometry) }, tangent: tangent?.im2col(geometry))
    }
    public func col2im(_ geometry: ConvGeometry) -> Dual {
        Dual(primalValue(.col2im, shape + geometry.key) { value.col2im(geometry) }, tangent: tangent?.col2im(geometry))
    }
}

// MARK: - Variable (reverse mode)

extension Variable {
    public func im2col(_ geometry: ConvGeometry) -> Variable {
        tape.record(dual.im2col(geometry), inputs: [self]) { g, _ in [g.col2im(geometry)] }
    }
    public func col2im(_ geometry: ConvGeometry) -> Variable {
        tape.record(dual.col2im(geometry), inputs: [self]) { g, _ in [g.im2col(geometry)] }
    }
}

extension ConvGeometry {
    /// Every field, for `PrimalRecord` to tell one convolution from another.
    var key: [Int] {
        [batch, inputHeight, inputWidth, inputChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
         padTop, padBottom, padLeft, padRight]
    }
}
