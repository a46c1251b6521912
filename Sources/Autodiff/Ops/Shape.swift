// Shape changes: reshape and the 2-D transpose. Both are linear and are their own adjoints'
// inverses: reshape's VJP reshapes back, transpose's VJP transposes again.

import Kernels

// MARK: - Tensor (value only)

extension Tensor {
    /// Rows and columns swapped: `[r, c] → [c, r]`.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed: needs rank 2, got \(shape)")
        let (rows, cols) = (shape[0], shape[1])
        return scalars.withUnsafeBufferPointer { x in
            Tensor.filled(shape: [cols, rows]) { Kernels.transpose2D(x, into: $0, rows: rows, cols: cols) }
        }
    }
}

// MARK: - Dual (forward mode)

extension Dual {
    public func reshaped(to newShape: [Int]) -> Dual {
        Dual(value.reshaped(to: newShape), tangent: tangent?.reshaped(to: newShape))
    }
    public func transposed() -> Dual { Dual(primalValue(.transpose, shape) { value.transposed() }, tangent: tangent?.transposed()) }
}

// MARK: - Variable (reverse mode)

extension Variable {
    public func reshaped(to newShape: [Int]) -> Variable {
        let oldShape = shape
        return tape.record(dual.reshaped(to: newShape), inputs: [self]) { g, _ in [g.reshaped(to: oldShape)] }
    }
    public func transposed() -> Variable {
        tape.record(dual.transposed(), inputs: [self]) { g, _ in [g.transposed()] }
    }
}
