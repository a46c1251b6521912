// conv2D → batch norm (batch statistics) → ReLU as one op, computed from the moments of the patches
// where that is cheaper (Kernels/PatchBatchNorm.swift: patches shorter than the output is wide and a
// constant input, as in a first layer on raw images). With P_c the centred patches [rows×K] and
// Σ = P_cᵀP_c (both constants of the images):
//
//   s = (colsum(W ⊙ ΣW)/rows + ε)^(-1/2)      W̃ = W·diag(s)      gain = γ ⊙ s                [K×cout], [cout]
//   out = ReLU([P_c | 1] · [W·diag(gain); β])                                               (patchProduct)
//   pullback, G = ḡ ⊙ [out > 0]:  [Q; σ] = [P_c | 1]ᵀ·G                                    (patchMaskedMoments)
//       β̄ = σ    γ̄ = colsum(W̃ ⊙ Q)    W̄ = gain ⊙ (Q − ΣW̃ ⊙ γ̄/rows)     (gain, γ̄ repeated down the K rows)
//
// Everything but the two big products is K×cout algebra written with Dual ops, and the two products
// are linear in their Dual argument (the mask held constant, as `relu` does), so JVPs and
// forward-over-reverse HVPs of this op are exact like every other op's. Where the moments do not pay
// or the input needs a gradient, the op is `conv2D` then `batchNormalizedReLU`.

import Kernels

extension Variable {
    /// `conv2D(self, weights:, stride:, padding:).batchNormalizedReLU(offset:, scale:, epsilon:)`, from the
    /// patches' moments when `self` is a constant and K = kh·kw·cin < cout (`patchBatchNormPays`).
    ///
    /// - Parameters:
    ///   - weights: `[kh, kw, cin, cout]` (HWIO); no conv bias (batch norm would cancel it).
    ///   - offset, scale: β and γ, `[cout]`, or nil (as `batchNormalized`).
    /// - Returns: `[batch, outHeight, outWidth, cout]`, ReLU(γ·x̂ + β).
    public func convolvedBatchNormalizedReLU(weights: Variable, stride: Int, padding: Padding, offset: Variable?,
                                             scale: Variable? = nil, epsilon: Float = 1e-3) -> Variable {
        precondition(shape.count == 4 && weights.shape.count == 4 && shape[3] == weights.shape[2],
                     "convolvedBatchNormalizedReLU: input \(shape) and weights \(weights.shape) do not fit (NHWC, HWIO)")
        let g = ConvGeometry(batch: shape[0], inputHeight: shape[1], inputWidth: shape[2], inputChannels: shape[3],
                             kernelHeight: weights.shape[0], kernelWidth: weights.shape[1], stride: stride, padding: padding)
        let cout = weights.shape[3]
        guard patchBatchNormPays(patchSize: g.columnWidth, outputChannels: cout), g.columnRows > 0,
              !tape.needsGradient(self), dual.tangent == nil
        else {
            return conv2D(self, weights: weights, stride: stride, padding: padding)
                .batchNormalizedReLU(offset: offset, scale: scale, epsilon: epsilon)
        }
        let layer = PatchLayer(images: value, geometry: g, weights: weights.dual, offset: offset?.dual,
                               scale: scale?.dual, epsilon: epsilon)
        let output = layer.forward()
        // Plain values only in the pullback: a closure holding a Variable would retain the tape.
        let (hasScale, hasOffset, weightShape) = (scale != nil, offset != nil, weights.shape)
        let inputs = [self, weights] + [scale, offset].compactMap { $0 }
        return tape.record(output.reshaped(to: [g.batch, g.outputHeight, g.outputWidth, cout]), inputs: inputs) { cotangent, _ in
            let grads = layer.pullback(cotangent.reshaped(to: [layer.rows, cout]), output: output.value)
            var result: [Dual?] = [nil, grads.weights.reshaped(to: weightShape)]
            if hasScale { result.append(grads.scale) }
            if hasOffset { result.append(grads.offset) }
            return result
        }
    }
}

/// The layer's constants (centred patches with a column of ones, their Gram matrix) and its K×cout
/// Duals, shared by the forward and the pullback.
private struct PatchLayer {
    let rows: Int
    let patches: Tensor  // [rows, K+1] = [P_c | 1]
    let gram: Dual       // [K, K] = P_cᵀP_c, constant
    let wTilde: Dual     // [K, cout] W·diag(s)
    let gain: Dual       // [cout] γ ⊙ s
    let gemmWeights: Dual  // [K+1, cout] [W·diag(gain); β]

    init(images: Tensor, geometry g: ConvGeometry, weights: Dual, offset: Dual?, scale: Dual?, epsilon: Float) {
        let (width, cout) = (g.columnWidth, weights.shape[3])
        rows = g.columnRows
        let (patches, gram) = primalValue(.patchMoments, g.key) { () -> (Tensor, Tensor) in
            var gram = Tensor(zeros: [width, width])
            let patches = images.scalars.withUnsafeBufferPointer { x in
                Tensor.filled(shape: [g.columnRows, width + 1]) { p in
                    gram.scalars.withUnsafeMutableBufferPointer { Kernels.patchMoments(x, geometry: g, patches: p, gram: $0) }
                }
            }
            return (patches, gram)
        }
        self.patches = patches
        self.gram = Dual(gram)
        let w = weights.reshaped(to: [width, cout])
        let variance = (w * matmul(self.gram, w)).sum(alongAxis: 0).scaled(by: 1 / Float(rows))
        let s = variance.adding(epsilon).reciprocalSquareRoot()
        let gain = scale.map { $0 * s } ?? s
        let beta = offset?.reshaped(to: [1, cout]) ?? Dual(Tensor(zeros: [1, cout]))
        self.gain = gain
        wTilde = w * s.broadcast(alongAxis: 0, size: width)
        gemmWeights = stackingRows(w * gain.broadcast(alongAxis: 0, size: width), beta)
    }

    /// out [rows, cout] = ReLU(patches · gemmWeights); tangent: patches · d(gemmWeights) where out > 0.
    func forward() -> Dual {
        let cout = gemmWeights.shape[1]
        let product = { (weights: Tensor, mask: Tensor?) in
            withBuffers([patches, weights, mask]) { b in
                Tensor.filled(shape: [rows, cout]) {
                    Kernels.patchProduct(b[0]!, weights: b[1]!, rows: rows, outputChannels: cout, into: $0,
                                         keepingWherePositive: b[2])
                }
            }
        }
        let out = primalValue(.patchProduct, [rows] + gemmWeights.shape) { product(gemmWeights.value, nil) }
        return Dual(out, tangent: gemmWeights.tangent.map { product($0, out) })
    }

    /// (W̄ [K, cout], γ̄, β̄) from ḡ [rows, cout], the cotangent of `output`.
    func pullback(_ g: Dual, output: Tensor) -> (weights: Dual, scale: Dual, offset: Dual) {
        let (width, cout) = (gram.shape[0], gemmWeights.shape[1])
        let moments = { (gradient: Tensor) in
            withBuffers([gradient, output, patches]) { b in
                Tensor.filled(shape: [width + 1, cout]) {
                    Kernels.patchMaskedMoments(b[0], mask: b[1], patches: b[2], rows: rows, outputChannels: cout, into: $0)
                }
            }
        }
        let qs = Dual(primalValue(.patchMaskedMoments, [rows, cout]) { moments(g.value) }, tangent: g.tangent.map(moments))
        let (q, sigma) = splittingLastRow(qs)
        let gammaBar = (wTilde * q).sum(alongAxis: 0)
        let correction = matmul(gram, wTilde) * gammaBar.scaled(by: 1 / Float(rows)).broadcast(alongAxis: 0, size: width)
        let weightBar = gain.broadcast(alongAxis: 0, size: width) * (q - correction)
        return (weightBar, gammaBar, sigma.reshaped(to: [cout]))
    }
}

/// [a; b]: two Duals [m, n] and [1, n] stacked (a missing tangent counts as zeros).
private func stackingRows(_ a: Dual, _ b: Dual) -> Dual {
    let value = primalValue(.stackRows, a.shape + b.shape) { Tensor.stackingRows([a.value, b.value]) }
    guard a.tangent != nil || b.tangent != nil else { return Dual(value) }
    return Dual(value, tangent: Tensor.stackingRows([a.tangent ?? Tensor(zeros: a.shape), b.tangent ?? Tensor(zeros: b.shape)]))
}

/// (rows 0 ..< m−1, row m−1) of a Dual [m, n].
private func splittingLastRow(_ x: Dual) -> (Dual, Dual) {
    let (m, n) = (x.shape[0], x.shape[1])
    let split = { (t: Tensor) in
        (Tensor(shape: [m - 1, n], scalars: Array(t.scalars[0 ..< (m - 1) * n])),
         Tensor(shape: [1, n], scalars: Array(t.scalars[(m - 1) * n ..< m * n])))
    }
    let (top, last) = split(x.value)
    let tangents = x.tangent.map(split)
    return (Dual(top, tangent: tangents?.0), Dual(last, tangent: tangents?.1))
}
