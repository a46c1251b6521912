// Summation along one axis and its adjoint, broadcasting along a new axis.
//
// x viewed as [outer, axis, inner]:
// sum        y[o, i] = Σₐ x[o, a, i]          (removes the axis)
// broadcast  y[o, a, i] = x[o, i]             (inserts an axis of the given size)
// Both are linear, so the JVP applies the op to the tangent, and each one's VJP is the other.

import Kernels

/// (outer, inner) extents around `axis` of `shape`.
@inlinable
func split(_ shape: [Int], around axis: Int) -> (outer: Int, inner: Int) {
    (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
}

// MARK: - Tensor (value only)

extension Tensor {
    /// Sum over `axis`; the result has that axis removed.
    public func sum(alongAxis axis: Int) -> Tensor {
        precondition(axis >= 0 && axis < rank, "sum(alongAxis: \(axis)) of shape \(shape)")
        let (outer, inner) = split(shape, around: axis)
        var newShape = shape
        newShape.remove(at: axis)
        return scalars.withUnsafeBufferPointer { x in
            Tensor.filled(shape: newShape) {
                Kernels.sumAxis(x, into: $0, outer: outer, axis: shape[axis], inner: inner)
            }
        }
    }

    /// Repeats the tensor `size` times along a new axis inserted at `axis`.
    public func broadcast(alongAxis axis: Int, size: Int) -> Tensor {
        precondition(axis >= 0 && axis <= rank, "broadcast(alongAxis: \(axis)) of shape \(shape)")
        var newShape = shape
        newShape.insert(size, at: axis)
        let (outer, inner) = split(newShape, around: axis)
        return scalars.withUnsafeBufferPointer { x in
            Tensor.filled(shape: newShape) {
                Kernels.broadcastAxis(x, into: $0, outer: outer, axis: size, inner: inner)
            }
        }
    }

    /// Sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor { reshaped(to: [count]).sum(alongAxis: 0) }
}

// MARK: - Dual (forward mode)

extension Dual {
    public func sum(alongAxis axis: Int) -> Dual {
        Dual(primalValue(.sumAxis, shape + [axis]) { value.sum(alongAxis: axis) }, tangent: tangent?.sum(alongAxis: axis))
    }
    public func broadcast(alongAxis axis: Int, size: Int) -> Dual {
        Dual(primalValue(.broadcast, shape + [axis, size]) { value.broadcast(alongAxis: axis, size: size) }, tangent: tangent?.broadcast(alongAxis: axis, size: size))
    }
    public func sum() -> Dual { Dual(primalValue(.sumAxis, shape + [-1]) { value.sum() }, tangent: tangent?.sum()) }
}

// MARK: - Variable (reverse mode)

extension Variable {
    /// Σ over `axis`. Pullback: broadcast the cotangent back along `axis`.
    public func sum(alongAxis axis: Int) -> Variable {
        let size = shape[axis]
        return tape.record(dual.sum(alongAxis: axis), inputs: [self]) { g, _ in
            [g.broadcast(alongAxis: axis, size: size)]
        }
    }
    /// Repeat along a new axis. Pullback: sum the cotangent over that axis.
    public func broadcast(alongAxis axis: Int, size: Int) -> Variable {
        tape.record(dual.broadcast(alongAxis: axis, size: size), inputs: [self]) { g, _ in
            [g.sum(alongAxis: axis)]
        }
    }
    /// Σ of all elements (rank 0). Pullback: the cotangent repeated to the input shape.
    public func sum() -> Variable {
        reshaped(to: [value.count]).sum(alongAxis: 0)
    }
    /// Mean of all elements (rank 0).
    public func mean() -> Variable { sum().scaled(by: 1 / Float(max(value.count, 1))) }
}
