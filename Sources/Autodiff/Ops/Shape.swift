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

extension Tensor {
    /// Rank-2 tensors with the same number of columns, one under the other: `[Σ rows, cols]`.
    static func stackingRows(_ parts: [Tensor]) -> Tensor {
        let columns = parts[0].shape[1]
        precondition(parts.allSatisfy { $0.rank == 2 && $0.shape[1] == columns }, "stackingRows: \(parts.map(\.shape))")
        return Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }, columns], scalars: parts.flatMap(\.scalars))
    }

    /// Rank-2 tensors with the same number of rows, side by side: `[rows, Σ cols]`.
    static func joiningColumns(_ parts: [Tensor]) -> Tensor {
        let rows = parts[0].shape[0]
        precondition(parts.allSatisfy { $0.rank == 2 && $0.shape[0] == rows }, "joiningColumns: \(parts.map(\.shape))")
        let width = parts.reduce(0) { $0 + $1.shape[1] }
        return Tensor.filled(shape: [rows, width]) { out in
            guard let base = out.baseAddress else { return }  // nothing to write
            var offset = 0
            for part in parts {
                let columns = part.shape[1]
                part.scalars.withUnsafeBufferPointer { source in
                    guard let from = source.baseAddress else { return }
                    for row in 0..<rows {
                        (base + row * width + offset).update(from: from + row * columns, count: columns)
                    }
                }
                offset += columns
            }
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
