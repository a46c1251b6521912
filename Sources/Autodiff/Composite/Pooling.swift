// Max-pool 2×2 (argmax from the kernel, then a gather) and global average pooling (a sum).
// The argmax is taken from the primal and held constant: tangents and cotangents follow the
// chosen elements, and the second derivative of the selection itself is zero.

import Kernels

extension Variable {
    /// 2×2 max-pool with stride 2 over `[b, h, w, c]`; `ceilMode` keeps the last odd row/column.
    public func maxPool2x2(ceilMode: Bool = false) -> Variable {
        precondition(shape.count == 4, "maxPool2x2: needs [b, h, w, c], got \(shape)")
        let (b, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        let (ho, wo) = ceilMode ? ((h + 1) / 2, (w + 1) / 2) : (h / 2, w / 2)
        let count = b * ho * wo * c
        let (pooled, argmax) = primalValue(.maxPool, shape + [ceilMode ? 1 : 0]) { () -> (Tensor, [Int32]) in
            var argmax = [Int32](repeating: 0, count: count)
            let pooled = value.scalars.withUnsafeBufferPointer { x in
                argmax.withUnsafeMutableBufferPointer { indices in
                    Tensor.filled(shape: [b, ho, wo, c]) { y in
                        Kernels.maxPool2x2(x, into: y, argmax: indices, batch: b, height: h, width: w,
                                           channels: c, ceilMode: ceilMode)
                    }
                }
            }
            return (pooled, argmax)
        }
        // The kernel's maxima are the gather's value: x[argmax] = y.
        return gathering(argmax, shape: [b, ho, wo, c], value: pooled)
    }

    /// Mean over the spatial axes: `[b, h, w, c] → [b, c]`.
    public func globalAveragePool() -> Variable {
        precondition(shape.count == 4, "globalAveragePool: needs [b, h, w, c], got \(shape)")
        let spatial = shape[1] * shape[2]
        return reshaped(to: [shape[0], spatial, shape[3]]).sum(alongAxis: 1).scaled(by: 1 / Float(spatial))
    }
}
