// Batch norm followed by 2×2 max-pool as one op (W3's backbone: conv → batch norm → max-pool → ReLU).
// Forward: the normalized map is pooled as it is computed. Backward: batch norm's pullback on the
// unpooled ḡ, whose primal part (Σḡ, Σḡx̂, x̄) one kernel computes from the pooled ḡ. Both have the
// bits of the two ops; the tangents are batch norm's, written in differentiable ops.

import Kernels

/// Batch norm then 2×2 max-pool on x [b, h, w, c] (one kernel pass; y is never written): the pooled
/// y, its argmax into y's positions, and the saved x̂, s. The tangent is y's, gathered at argmax.
func batchNormMaxPoolForward(_ x: Dual, offset: Dual?, scale: Dual?, epsilon: Float, ceilMode: Bool)
    -> (pooled: Dual, argmax: [Int32], saved: BatchNormSaved)
{
    let (b, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (ho, wo) = (maxPool2x2OutputSize(h, ceilMode: ceilMode), maxPool2x2OutputSize(w, ceilMode: ceilMode))
    let key = x.shape + [Int(epsilon.bitPattern), scale == nil ? 0 : 1, offset == nil ? 0 : 1, ceilMode ? 1 : 0]
    let (pooled, argmax, xhat, inverseStd) = primalValue(.batchNormMaxPool, key) { () -> (Tensor, [Int32], Tensor, Tensor) in
        let offsetValue = offset?.value ?? Tensor(zeros: [c])
        var mean = Tensor(zeros: [c]), inverseStd = Tensor(zeros: [c])
        var (pooled, xhat) = (Tensor(zeros: [0]), Tensor(zeros: [0]))
        let count = b * ho * wo * c
        let argmax = [Int32](unsafeUninitializedCapacity: count) { indices, initialized in  // the kernel writes all
            x.value.scalars.withUnsafeBufferPointer { px in
                withBuffers([offsetValue, scale?.value]) { vectors in
                    mean.scalars.withUnsafeMutableBufferPointer { m in inverseStd.scalars.withUnsafeMutableBufferPointer { s in
                        pooled = Tensor.filled(shape: [b, ho, wo, c]) { pooled in
                            xhat = Tensor.filled(shape: [b * h * w, c]) { normalized in
                                Kernels.batchNormalizeMaxPool2x2(
                                    px, offset: vectors[0]!, scale: vectors[1], into: pooled, argmax: indices,
                                    normalized: normalized, mean: m, inverseStd: s, batch: b, height: h, width: w,
                                    channels: c, epsilon: epsilon, ceilMode: ceilMode)
                            }
                        }
                    } }
                }
            }
            initialized = count
        }
        return (pooled, argmax, xhat, inverseStd)
    }
    let (tangent, saved) = batchNormTangents(x.reshaped(to: [b * h * w, c]), xhat: xhat, inverseStd: inverseStd,
                                             offset: offset, scale: scale)
    return (Dual(pooled, tangent: tangent?.gathering(argmax, shape: [b, ho, wo, c])), argmax, saved)
}

/// Batch norm's pullback on ḡ = maxUnpool2x2(g) [rows, c], x̄ reshaped to `inputShape`: the primal
/// part from the pooled g in one kernel, the tangents as `batchNormBackward`'s (the unpooled value
/// of g is made only if a tangent term needs it).
func batchNormMaxPoolBackward(_ g: Dual, argmax: [Int32], saved: BatchNormSaved, scale: Dual?, inputShape: [Int],
                              ceilMode: Bool) -> (x: Dual, scale: Dual, offset: Dual) {
    let (b, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let rows = b * h * w
    let k = (scale?.value ?? Tensor(repeating: 1, shape: [c])) * saved.inverseStd.value
    let key = inputShape + [scale == nil ? 0 : 1, ceilMode ? 1 : 0]
    let primal = primalValue(.batchNormMaxPoolBackward, key) { () -> BatchNormBackwardPrimal in
        var xBar = Tensor(zeros: [0])
        let sums = g.value.scalars.withUnsafeBufferPointer { pg in
            argmax.withUnsafeBufferPointer { indices in
                withBuffers([saved.xhat.value, k]) { buffers in
                    Tensor.filledPair(shape: [c]) { sums, products in
                        xBar = Tensor.filled(shape: [rows, c]) {
                            Kernels.batchNormMaxUnpoolBackward(pg, argmax: indices, xhat: buffers[0], gain: buffers[1],
                                                               sums: sums, productSums: products, into: $0, batch: b,
                                                               height: h, width: w, channels: c, ceilMode: ceilMode)
                        }
                    }
                }
            }
        }
        return (sums.0, sums.1, xBar)
    }
    let unpooled = { g.value.maxUnpooled2x2(argmax, inputShape: inputShape, ceilMode: ceilMode).reshaped(to: [rows, c]) }
    let gTangent = g.tangent?.maxUnpooled2x2(argmax, inputShape: inputShape, ceilMode: ceilMode).reshaped(to: [rows, c])
    let grads = batchNormBackwardTangents(primal, g: unpooled, gTangent: gTangent, saved: saved, scale: scale, gain: k)
    return (grads.x.reshaped(to: inputShape), grads.scale, grads.offset)
}

extension Variable {
    /// `batchNormalized(...).maxPool2x2(ceilMode:)` in one op over `[b, h, w, c]`: the normalized map
    /// is pooled as it is computed and never stored, and the pullback never stores the unpooled ḡ
    /// unless a tangent term needs it. The same bits as the two ops.
    public func batchNormalizedMaxPool2x2(offset: Variable?, scale: Variable? = nil, epsilon: Float = 1e-3,
                                          ceilMode: Bool = false) -> Variable {
        precondition(shape.count == 4, "batchNormalizedMaxPool2x2: needs [b, h, w, c], got \(shape)")
        let inputShape = shape
        let (scaleDual, offsetDual) = (scale?.dual, offset?.dual)
        let (pooled, argmax, saved) = batchNormMaxPoolForward(dual, offset: offsetDual, scale: scaleDual, epsilon: epsilon,
                                                              ceilMode: ceilMode)
        var inputs = [self]
        if let scale { inputs.append(scale) }
        if let offset { inputs.append(offset) }
        let hasScale = scale != nil
        return tape.record(pooled, inputs: inputs) { g, needed in
            let grads = batchNormMaxPoolBackward(g, argmax: argmax, saved: saved, scale: scaleDual, inputShape: inputShape,
                                                 ceilMode: ceilMode)
            var result: [Dual?] = [needed[0] ? grads.x : nil]
            if hasScale { result.append(grads.scale) }
            if offsetDual != nil { result.append(grads.offset) }
            return result
        }
    }

}
