// Max-pool 2×2 (argmax from the kernel; pullback: the unpool kernel, the adjoint of gathering at
// argmax) and global average pooling (a sum).
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
            var pooled = Tensor(zeros: [0])
            let argmax = [Int32](unsafeUninitializedCapacity: count) { indices, initialized in  // the kernel writes all
                value.scalars.withUnsafeBufferPointer { x in
                    pooled = Tensor.filled(shape: [b, ho, wo, c]) { y in
                        Kernels.maxPool2x2(x, into: y, argmax: indices, batch: b, height: h, width: w,
                                           channels: c, ceilMode: ceilMode)
                    }
                }
                initialized = count
            }
            return (pooled, argmax)
        }
        // Linear in x for a fixed argmax: the tangent is a gather, the pullback its adjoint.
        let y = Dual(pooled, tangent: dual.tangent?.gathering(argmax, shape: [b, ho, wo, c]))
        let inputShape = shape
        return tape.record(y, inputs: [self]) { g, _ in
            [g.maxUnpooled2x2(argmax, inputShape: inputShape, ceilMode: ceilMode)]
        }
    }

    /// Mean over the spatial axes: `[b, h, w, c] → [b, c]`.
    public func globalAveragePool() -> Variable {
        precondition(shape.count == 4, "globalAveragePool: needs [b, h, w, c], got \(shape)")
        let spatial = shape[1] * shape[2]
        return reshaped(to: [shape[0], spatial, shape[3]]).sum(alongAxis: 1).scaled(by: 1 / Float(spatial))
    }
}

extension Tensor {
    /// The adjoint of gathering `[b, h, w, c]` at max-pool's `argmax`: self at argmax, 0 elsewhere.
    func maxUnpooled2x2(_ argmax: [Int32], inputShape: [Int], ceilMode: Bool) -> Tensor {
        scalars.withUnsafeBufferPointer { g in
            argmax.withUnsafeBufferPointer { indices in
                Tensor.filled(shape: inputShape) {
                    Kernels.maxUnpool2x2(g, argmax: indices, into: $0, batch: inputShape[0], height: inputShape[1],
                                         width: inputShape[2], channels: inputShape[3], ceilMode: ceilMode)
                }
            }
        }
    }
}

extension Dual {
    /// `maxUnpooled2x2` of the value and of the tangent (linear, argmax constant).
    func maxUnpooled2x2(_ argmax: [Int32], inputShape: [Int], ceilMode: Bool) -> Dual {
        Dual(primalValue(.maxUnpool, shape + inputShape + [ceilMode ? 1 : 0]) {
            value.maxUnpooled2x2(argmax, inputShape: inputShape, ceilMode: ceilMode)
        }, tangent: tangent?.maxUnpooled2x2(argmax, inputShape: inputShape, ceilMode: ceilMode))
    }
}
