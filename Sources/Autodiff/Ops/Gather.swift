// gather and scatter-add by a constant index list (used by max-pool and label picking).
//
// gather    y[i] = x[idx[i]]               x: any shape   y: `shape`
// scatter   x[idx[i]] += y[i]              the adjoint: ⟨gather(x), y⟩ = ⟨x, scatter(y)⟩
// Linear in the data (indices are constants): JVP = the op on the tangent; VJP of each = the other.

import Kernels

// MARK: - Tensor (value only)

extension Tensor {
    /// Elements at flat `indices`, arranged in `shape`.
    public func gathering(_ indices: [Int32], shape: [Int]) -> Tensor {
        precondition(indices.count == shape.reduce(1, *), "gather: \(indices.count) indices for shape \(shape)")
        return scalars.withUnsafeBufferPointer { x in
            indices.withUnsafeBufferPointer { idx in Tensor.filled(shape: shape) { Kernels.gather(x, indices: idx, into: $0) } }
        }
    }

    /// A zero tensor of `shape` with `self[i]` added at flat position `indices[i]`.
    public func scattering(_ indices: [Int32], shape: [Int]) -> Tensor {
        precondition(indices.count == count, "scatter: \(indices.count) indices for \(count) values")
        var result = Tensor(zeros: shape)
        scalars.withUnsafeBufferPointer { y in
            indices.withUnsafeBufferPointer { idx in
                result.scalars.withUnsafeMutableBufferPointer { Kernels.scatterAdd(y, indices: idx, into: $0) }
            }
        }
        return result
    }
}

// MARK: - Dual (forward mode)

extension Dual {
    public func gathering(_ indices: [Int32], shape: [Int]) -> Dual {
        Dual(primalValue(.gather, self.shape + shape) { value.gathering(indices, shape: shape) }, tangent: tangent?.gathering(indices, shape: shape))
    }
    public func scattering(_ indices: [Int32], shape: [Int]) -> Dual {
        Dual(primalValue(.scatter, self.shape + shape) { value.scattering(indices, shape: shape) }, tangent: tangent?.scattering(indices, shape: shape))
    }
}

// MARK: - Variable (reverse mode)

extension Variable {
    public func gathering(_ indices: [Int32], shape newShape: [Int]) -> Variable {
        let sourceShape = shape
        return tape.record(dual.gathering(indices, shape: newShape), inputs: [self]) { g, _ in
            [g.scattering(indices, shape: sourceShape)]
        }
    }
    public func scattering(_ indices: [Int32], shape newShape: [Int]) -> Variable {
        let sourceShape = shape
        return tape.record(dual.scattering(indices, shape: newShape), inputs: [self]) { g, _ in
            [g.gathering(indices, shape: sourceShape)]
        }
    }
}
