// conv2D → batch norm (batch statistics) → ReLU as one op, computed from the moments of the
// patches where that is cheaper (Kernels/PatchBatchNorm.swift: patches shorter than the output is
// wide, as in a first layer on raw images). The fused op gives the value and the gradient. Whatever
// needs more falls back to the unfused ops, whose derivatives are exact to any order:
//   - tangents on an input (JVP, HVP),
//   - a gradient for the input x (a layer that is not the first),
//   - an active primal record (the replayed pass must meet the ops it recorded).
// The two routes compute the same function and agree up to rounding (ConvBatchNormReLUTests).

import Kernels

extension Variable {
    /// `conv2D(self, weights:, stride:, padding:).batchNormalizedReLU(offset:, scale:, epsilon:)`.
    ///
    /// - Parameters:
    ///   - weights: `[kh, kw, cin, cout]` (HWIO); no conv bias (batch norm would cancel it).
    ///   - offset, scale: β and γ, `[cout]`, or nil (as `batchNormalized`).
    /// - Returns: `[batch, outHeight, outWidth, cout]`, ReLU(γ·x̂ + β).
    public func convolvedBatchNormalizedReLU(weights: Variable, stride: Int, padding: Padding, offset: Variable?,
                                             scale: Variable? = nil, epsilon: Float = 1e-3) -> Variable {
        precondition(shape.count == 4 && weights.shape.count == 4 && shape[3] == weights.shape[2],
                     "convolvedBatchNormalizedReLU: input \(shape) and weights \(weights.shape) do not fit (NHWC, HWIO)")
        let geometry = ConvGeometry(batch: shape[0], inputHeight: shape[1], inputWidth: shape[2],
                                    inputChannels: shape[3], kernelHeight: weights.shape[0],
                                    kernelWidth: weights.shape[1], stride: stride, padding: padding)
        let cout = weights.shape[3]
        let parameters = [weights, scale, offset].compactMap { $0 }
        guard patchBatchNormPays(patchSize: geometry.columnWidth, outputChannels: cout),
              !tape.needsGradient(self), dual.tangent == nil, parameters.allSatisfy({ $0.dual.tangent == nil }),
              PrimalRecord.active == nil, geometry.columnRows > 0
        else {
            return conv2D(self, weights: weights, stride: stride, padding: padding)
                .batchNormalizedReLU(offset: offset, scale: scale, epsilon: epsilon)
        }
        let fused = PatchBatchNormReLU(x: value, weights: weights.value, offset: offset?.value, scale: scale?.value,
                                       geometry: geometry, epsilon: epsilon)
        let (xd, wd, offsetDual, scaleDual) = (dual, weights.dual, offset?.dual, scale?.dual)
        let hasScale = scale != nil, hasOffset = offset != nil
        return tape.record(Dual(fused.output), inputs: [self] + parameters) { g, _ in
            let grads: (weights: Dual, scale: Dual, offset: Dual)
            if g.tangent == nil {
                grads = fused.gradients(g.value)
            } else {
                // A tangent came back from later ops (an HVP that does not move this layer's inputs):
                // the unfused pullback carries it, on this forward's ReLU mask.
                grads = unfusedPullback(g, x: xd, weights: wd, offset: offsetDual, scale: scaleDual, geometry: geometry,
                                        epsilon: epsilon, reluOutput: fused.output)
            }
            var result: [Dual?] = [nil, grads.weights]
            if hasScale { result.append(grads.scale) }
            if hasOffset { result.append(grads.offset) }
            return result
        }
    }
}

/// The fused forward's results and what its pullback keeps: [P_c | 1], the patches' Gram matrix
/// and s (see `Kernels.patchBatchNormReLU`).
private struct PatchBatchNormReLU {
    let output: Tensor
    let patches: Tensor
    let gram: Tensor
    let inverseStd: Tensor
    let weights: Tensor
    let scale: Tensor?

    init(x: Tensor, weights: Tensor, offset: Tensor?, scale: Tensor?, geometry g: ConvGeometry, epsilon: Float) {
        let (rows, width, cout) = (g.columnRows, g.columnWidth, weights.shape[3])
        // Uninitialized storage: the kernel writes every element of its four results.
        var (patches, gram, inverseStd) = (Tensor(zeros: []), Tensor(zeros: [width, width]), Tensor(zeros: [cout]))
        output = withBuffers([x, weights, offset, scale]) { b in
            Tensor.filled(shape: [g.batch, g.outputHeight, g.outputWidth, cout]) { out in
                patches = Tensor.filled(shape: [rows, width + 1]) { p in
                    gram.scalars.withUnsafeMutableBufferPointer { gm in
                        inverseStd.scalars.withUnsafeMutableBufferPointer { s in
                            Kernels.patchBatchNormReLU(b[0]!, weights: b[1]!, offset: b[2], scale: b[3], geometry: g,
                                                       outputChannels: cout, epsilon: epsilon, into: out, patches: p,
                                                       gram: gm, inverseStd: s)
                        }
                    }
                }
            }
        }
        (self.patches, self.gram, self.inverseStd) = (patches, gram, inverseStd)
        (self.weights, self.scale) = (weights, scale)
    }

    /// W̄, γ̄, β̄ from ḡ, the cotangent of `output` (no tangents).
    func gradients(_ g: Tensor) -> (weights: Dual, scale: Dual, offset: Dual) {
        let cout = inverseStd.count
        var weightBar = Tensor(zeros: weights.shape)
        var scaleBar = Tensor(zeros: [cout]), offsetBar = Tensor(zeros: [cout])
        withBuffers([g, output, patches, gram, inverseStd, weights, scale]) { b in
            weightBar.scalars.withUnsafeMutableBufferPointer { wb in
                scaleBar.scalars.withUnsafeMutableBufferPointer { sb in
                    offsetBar.scalars.withUnsafeMutableBufferPointer { ob in
                        Kernels.patchBatchNormReLUBackward(b[0]!, output: b[1]!, patches: b[2]!, gram: b[3]!,
                                                           inverseStd: b[4]!, weights: b[5]!, scale: b[6],
                                                           rows: patches.shape[0], outputChannels: cout,
                                                           weightGradient: wb, scaleGradient: sb, offsetGradient: ob)
                    }
                }
            }
        }
        return (Dual(weightBar), Dual(scaleBar), Dual(offsetBar))
    }
}

/// The unfused ops' pullback of conv → batch norm → ReLU at (x, W, β, γ), with ReLU's mask taken
/// from `reluOutput`: batch norm's backward, then the conv's weight gradient, tangents included.
private func unfusedPullback(_ g: Dual, x: Dual, weights: Dual, offset: Dual?, scale: Dual?, geometry: ConvGeometry,
                             epsilon: Float, reluOutput: Tensor) -> (weights: Dual, scale: Dual, offset: Dual) {
    let cout = weights.shape[3]
    let y = convolution(x, weights, geometry: geometry).reshaped(to: [geometry.columnRows, cout])
    let (_, saved) = batchNormForward(y, offset: offset, scale: scale, epsilon: epsilon, rectified: true)
    let bn = batchNormBackward(g.reshaped(to: [geometry.columnRows, cout]), saved: saved, scale: scale,
                               reluOutput: reluOutput.reshaped(to: [geometry.columnRows, cout]))
    let yBar = bn.x.reshaped(to: [geometry.batch, geometry.outputHeight, geometry.outputWidth, cout])
    return (convolutionWeightGradient(x, yBar, geometry: geometry), bn.scale, bn.offset)
}
