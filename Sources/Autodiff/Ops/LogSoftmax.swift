// Log-softmax over the last axis of a [rows, classes] tensor.
//
// value   y = x − log Σⱼ exp(xⱼ)                       (Kernels.logSoftmaxRows, max-subtracted)
// JVP     dy = dx − ⟨softmax(x), dx⟩ (per row)
// VJP     x̄ = ȳ − softmax(x) ⊙ Σⱼ ȳⱼ, with softmax(x) = exp(y) as a Dual so HVPs see its curvature.

import Kernels

extension Tensor {
    public func logSoftmaxRows() -> Tensor {
        precondition(rank == 2, "logSoftmaxRows: needs [rows, classes], got \(shape)")
        return map { Kernels.logSoftmaxRows($0, into: $1, rows: shape[0], cols: shape[1]) }
    }
}

/// Row sums of a [rows, classes] Dual broadcast back to [rows, classes].
@inlinable
func rowSumsBroadcast(_ x: Dual) -> Dual {
    x.sum(alongAxis: 1).broadcast(alongAxis: 1, size: x.shape[1])
}

extension Dual {
    public func logSoftmaxRows() -> Dual {
        let y = primalValue(.logSoftmax, shape) { value.logSoftmaxRows() }
        guard let t = tangent else { return Dual(y) }
        let p = y.exp()
        let inner = (p * t).sum(alongAxis: 1).broadcast(alongAxis: 1, size: shape[1])
        return Dual(y, tangent: t - inner)
    }
}

extension Variable {
    public func logSoftmaxRows() -> Variable {
        let y = dual.logSoftmaxRows()
        return tape.record(y, inputs: [self]) { g, _ in
            [g - y.exp() * rowSumsBroadcast(g)]
        }
    }
}
