// Batch normalization with batch statistics as one fused primitive (per channel, over rows).
//
// value   x̂ = (x − μ)·s,  s = 1/√(σ² + ε),  y = γ·x̂ + β           x: [rows, c]   μ, σ², s, γ, β: [c]
// JVP     dx̂ = s·(dx − mean(dx) − x̂·mean(x̂·dx)),   ds = −s²·mean(x̂·dx)
//         dy = γ·dx̂ + dγ·x̂ + dβ
// VJP     β̄ = Σ ḡ,  γ̄ = Σ ḡ·x̂,  x̄ = γs·(ḡ − mean(ḡ) − x̂·mean(ḡ·x̂))
//         The VJP is a Dual function (`batchNormBackward`) whose tangent is derived by hand below,
//         so forward-over-reverse gives exact Hessian-vector products; tests compare it with the
//         composite of elementary ops (Composite/BatchNorm.swift) and with finite differences.

import Kernels

/// Per-channel helpers on [rows, c] tensors, wrapping the channel kernels.
enum Channels {
    static func sums(_ a: Tensor, times b: Tensor? = nil) -> Tensor {
        let c = a.shape[1]
        return a.scalars.withUnsafeBufferPointer { pa in
            Tensor.filled(shape: [c]) { out in
                if let b {
                    b.scalars.withUnsafeBufferPointer { Kernels.channelSums(pa, times: $0, into: out, rows: a.shape[0], channels: c) }
                } else {
                    Kernels.channelSums(pa, times: nil, into: out, rows: a.shape[0], channels: c)
                }
            }
        }
    }

    /// (Σᵣ a, Σᵣ a·b) per channel in one pass over a; with a mask, a counts only where mask > 0.
    static func sumsWithProducts(_ a: Tensor, _ b: Tensor, mask: Tensor? = nil) -> (sums: Tensor, productSums: Tensor) {
        let c = a.shape[1]
        return a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                withOptionalBuffer(mask) { pm in
                    Tensor.filledPair(shape: [c]) { sums, products in
                        Kernels.channelSums(pa, andProductsWith: pb, sums: sums, productSums: products, rows: a.shape[0],
                                            channels: c, keepingWherePositive: pm)
                    }
                }
            }
        }
    }

    /// gain·(a − m1 − xhat·m2) with a counted only where mask > 0 (one term, masked on the fly).
    static func maskedCenteredScale(_ a: Tensor, mask: Tensor, m1: Tensor, xhat: Tensor, m2: Tensor, gain: Tensor) -> Tensor {
        let (rows, c) = (a.shape[0], a.shape[1])
        return withBuffers([a, mask, m1, xhat, m2, gain]) { b in
            Tensor.filled(shape: [rows, c]) {
                Kernels.channelCenteredScale([CenteredScaleTerm(b[0], mean1: b[2], xhat: b[3], mean2: b[4], gain: b[5],
                                                                keepingWherePositive: b[1])],
                                             into: $0, rows: rows, channels: c)
            }
        }
    }

    /// Σₜ gainₜ·(aₜ − m1ₜ − xhatₜ·m2ₜ) over terms t (channel vectors broadcast over rows), in one kernel call;
    /// a term with a mask counts its a only where the mask is > 0.
    static func centeredScale(_ terms: [(a: Tensor, m1: Tensor, xhat: Tensor, m2: Tensor, gain: Tensor)],
                              masks: [Tensor?]? = nil) -> Tensor {
        let (rows, c) = (terms[0].a.shape[0], terms[0].a.shape[1])
        let masks = masks ?? Array(repeating: nil, count: terms.count)
        let tensors: [Tensor?] = zip(terms, masks).flatMap { t, mask in [t.a, t.m1, t.xhat, t.m2, t.gain, mask] }
        return withBuffers(tensors) { b in
            let kernelTerms = stride(from: 0, to: b.count, by: 6).map {
                CenteredScaleTerm(b[$0]!, mean1: b[$0 + 1]!, xhat: b[$0 + 2]!, mean2: b[$0 + 3]!, gain: b[$0 + 4]!,
                                  keepingWherePositive: b[$0 + 5])
            }
            return Tensor.filled(shape: [rows, c]) {
                Kernels.channelCenteredScale(kernelTerms, into: $0, rows: rows, channels: c)
            }
        }
    }

    /// Σₜ xₜ·scaleₜ + shiftₜ (channel vectors broadcast over rows; nil scale = 1, nil shift = 0), in one
    /// kernel call; with a mask, kept only where it is > 0.
    static func scaleShift(_ terms: [(x: Tensor, scale: Tensor?, shift: Tensor?)], mask: Tensor? = nil) -> Tensor {
        let (rows, c) = (terms[0].x.shape[0], terms[0].x.shape[1])
        return withBuffers(terms.flatMap { [$0.x, $0.scale, $0.shift] } + [mask]) { b in
            let kernelTerms = stride(from: 0, to: b.count - 1, by: 3).map { ScaleShiftTerm(b[$0]!, scale: b[$0 + 1], shift: b[$0 + 2]) }
            return Tensor.filled(shape: [rows, c]) {
                Kernels.channelScaleShift(kernelTerms, into: $0, rows: rows, channels: c, keepingWherePositive: b[b.count - 1])
            }
        }
    }

    static func withOptionalBuffer<R>(_ t: Tensor?, _ body: (UnsafeBufferPointer<Float>?) -> R) -> R {
        guard let t else { return body(nil) }
        return t.scalars.withUnsafeBufferPointer { body($0) }
    }
}

/// The saved forward quantities: x̂ and s as Duals (their tangents dx̂ and ds when x moves).
struct BatchNormSaved {
    var xhat: Dual
    var inverseStd: Dual
}

/// Forward pass on x [rows, c]: returns y (ReLU(y) when `rectified`) and the saved x̂, s.
func batchNormForward(_ x: Dual, offset: Dual?, scale: Dual?, epsilon: Float, rectified: Bool = false)
    -> (Dual, BatchNormSaved)
{
    let (rows, c) = (x.shape[0], x.shape[1])
    // One kernel call: the statistics, x̂ and y = γ·x̂ + β.
    let key = x.shape + [Int(epsilon.bitPattern), scale == nil ? 0 : 1, offset == nil ? 0 : 1, rectified ? 1 : 0]
    let (y, xhat, inverseStd) = primalValue(.batchNormForward, key) { () -> (Tensor, Tensor, Tensor) in
        let offsetValue = offset?.value ?? Tensor(zeros: [c])
        var inverseStd = Tensor(zeros: [c])
        var mean = Tensor(zeros: [c])
        let (y, xhat) = x.value.scalars.withUnsafeBufferPointer { px in
            Tensor.filledPair(shape: [rows, c]) { out, normalized in
                offsetValue.scalars.withUnsafeBufferPointer { beta in Channels.withOptionalBuffer(scale?.value) { gamma in
                    mean.scalars.withUnsafeMutableBufferPointer { m in inverseStd.scalars.withUnsafeMutableBufferPointer { s in
                        Kernels.batchNormalize(px, offset: beta, scale: gamma, into: out, normalized: normalized,
                                               mean: m, inverseStd: s, rows: rows, channels: c, epsilon: epsilon,
                                               rectified: rectified)
                    } }
                } }
            }
        }
        return (y, xhat, inverseStd)
    }
    // ReLU's tangent: the mask [y > 0] held constant, as `relu` does.
    let (tangent, saved) = batchNormTangents(x, xhat: xhat, inverseStd: inverseStd, offset: offset, scale: scale,
                                             mask: rectified ? y : nil)
    return (Dual(y, tangent: tangent), saved)
}

/// The tangents of batch norm's forward pass on x [rows, c] given its primal x̂ and s: dy (nil when
/// nothing moves; kept only where `mask` > 0 when given) and the saved x̂, s with their tangents dx̂, ds.
func batchNormTangents(_ x: Dual, xhat: Tensor, inverseStd: Tensor, offset: Dual?, scale: Dual?, mask: Tensor? = nil)
    -> (Tensor?, BatchNormSaved)
{
    let (rows, c) = (x.shape[0], x.shape[1])
    let n = 1 / Float(rows)
    var xhatTangent: Tensor? = nil, inverseStdTangent: Tensor? = nil
    if let dx = x.tangent {
        let (sumDx, sumXhatDx) = Channels.sumsWithProducts(dx, xhat)
        let meanDx = sumDx.scaled(by: n), meanXhatDx = sumXhatDx.scaled(by: n)
        xhatTangent = Channels.centeredScale([(dx, meanDx, xhat, meanXhatDx, inverseStd)])
        inverseStdTangent = -(inverseStd * inverseStd * meanXhatDx)
    }
    var terms: [(x: Tensor, scale: Tensor?, shift: Tensor?)] = []
    if let dxhat = xhatTangent { terms.append((dxhat, scale?.value, offset?.tangent)) }
    if let dgamma = scale?.tangent { terms.append((xhat, dgamma, nil)) }
    if xhatTangent == nil, let dbeta = offset?.tangent { terms.append((Tensor(zeros: [rows, c]), nil, dbeta)) }
    let saved = BatchNormSaved(xhat: Dual(xhat, tangent: xhatTangent), inverseStd: Dual(inverseStd, tangent: inverseStdTangent))
    return (terms.isEmpty ? nil : Channels.scaleShift(terms, mask: mask), saved)
}

/// The pullback as a Dual function: (x̄, γ̄, β̄) from ḡ, with tangents
///   dβ̄ = Σ dḡ,  dγ̄ = Σ (dḡ·x̂ + ḡ·dx̂),
///   x̄ = k(ḡ − m₁ − x̂m₂) with k = γs, m₁ = mean ḡ, m₂ = mean ḡx̂:
///   dx̄ = dk(ḡ − m₁ − x̂m₂) + k(dḡ − dm₁ − x̂·dm₂) − k·m₂·dx̂,  dk = dγ·s + γ·ds.
///
/// With `reluOutput` y (batch norm followed by a ReLU, `g` the cotangent of the ReLU's output), ḡ is
/// g masked by [y > 0] (the mask held constant, as `relu`'s pullback): the primal kernels read the
/// mask on the fly instead of storing the masked ḡ; the bits are those of masking first.
func batchNormBackward(_ g: Dual, saved: BatchNormSaved, scale: Dual?, reluOutput y: Tensor? = nil)
    -> (x: Dual, scale: Dual, offset: Dual)
{
    let rows = g.shape[0], c = g.shape[1]
    let n = 1 / Float(rows)
    let xhat = saved.xhat.value, s = saved.inverseStd.value
    let gamma = scale?.value ?? Tensor(repeating: 1, shape: [c])
    let k = gamma * s
    let key = g.shape + [scale == nil ? 0 : 1, y == nil ? 0 : 1]
    let primal = primalValue(.batchNormBackward, key) { () -> BatchNormBackwardPrimal in
        let (sumG, sumGX) = Channels.sumsWithProducts(g.value, xhat, mask: y)
        let (m1, m2) = (sumG.scaled(by: n), sumGX.scaled(by: n))
        let xBar = y.map { Channels.maskedCenteredScale(g.value, mask: $0, m1: m1, xhat: xhat, m2: m2, gain: k) }
            ?? Channels.centeredScale([(g.value, m1, xhat, m2, k)])
        return (sumG, sumGX, xBar)
    }
    return batchNormBackwardTangents(primal, g: { g.value }, gTangent: g.tangent, mask: y, saved: saved, scale: scale,
                                     gain: k)
}

/// Batch norm's backward primal values: Σḡ, Σḡx̂ and x̄.
typealias BatchNormBackwardPrimal = (sumG: Tensor, sumGX: Tensor, xBar: Tensor)

/// `batchNormBackward` given its primal values: the tangents, with ḡ's value asked of `g` only
/// when a term needs it (the fused max-pool op keeps ḡ pooled until then).
/// `k` is the gain γs the primal part used. With a `mask` (a ReLU's output), ḡ and dḡ count only
/// where it is > 0; the kernels read them through it (the bits of masking first).
func batchNormBackwardTangents(_ primal: BatchNormBackwardPrimal, g gValue: () -> Tensor, gTangent: Tensor?,
                               mask: Tensor? = nil, saved: BatchNormSaved, scale: Dual?, gain k: Tensor)
    -> (x: Dual, scale: Dual, offset: Dual)
{
    let (sumG, sumGX, xBar) = primal
    let (rows, c) = (xBar.shape[0], xBar.shape[1])
    let n = 1 / Float(rows)
    let xhat = saved.xhat.value, s = saved.inverseStd.value
    let gamma = scale?.value ?? Tensor(repeating: 1, shape: [c])
    let m1 = sumG.scaled(by: n), m2 = sumGX.scaled(by: n)
    var unpooled: Tensor? = nil
    func gFull() -> Tensor {
        if unpooled == nil { unpooled = gValue() }
        return unpooled!
    }

    var sumGTangent: Tensor? = nil, sumGXTangent: Tensor? = nil
    if let dg = gTangent {
        (sumGTangent, sumGXTangent) = Channels.sumsWithProducts(dg, xhat, mask: mask)
    }
    if let dxhat = saved.xhat.tangent {
        let extra = mask == nil ? Channels.sums(gFull(), times: dxhat)
                                : Channels.sumsWithProducts(gFull(), dxhat, mask: mask).productSums
        sumGXTangent = sumGXTangent.map { $0 + extra } ?? extra
    }
    var dk: Tensor? = nil
    if let ds = saved.inverseStd.tangent { dk = gamma * ds }
    if let dgamma = scale?.tangent { dk = (dk ?? Tensor(zeros: [c])) + dgamma * s }
    var terms: [(a: Tensor, m1: Tensor, xhat: Tensor, m2: Tensor, gain: Tensor)] = []
    var masks: [Tensor?] = []
    if let dk { terms.append((gFull(), m1, xhat, m2, dk)); masks.append(mask) }
    if let dg = gTangent {
        terms.append((dg, sumGTangent!.scaled(by: n), xhat, (sumGXTangent ?? Tensor(zeros: [c])).scaled(by: n), k))
        masks.append(mask)
    } else if let dsumGX = sumGXTangent {
        terms.append((Tensor(zeros: [rows, c]), Tensor(zeros: [c]), xhat, dsumGX.scaled(by: n), k))
        masks.append(nil)
    }
    if let dxhat = saved.xhat.tangent {
        terms.append((dxhat, Tensor(zeros: [c]), dxhat, Tensor(zeros: [c]), -(k * m2)))
        masks.append(nil)
    }
    let xBarTangent = terms.isEmpty ? nil : Channels.centeredScale(terms, masks: masks)
    return (Dual(xBar, tangent: xBarTangent), Dual(sumGX, tangent: sumGXTangent), Dual(sumG, tangent: sumGTangent))
}

extension Variable {
    /// Normalizes each channel of `[..., c]` with the statistics of this batch (fused primitive).
    ///
    /// - Parameters:
    ///   - offset: β, `[c]` (TensorFlow's `center=True`), or nil.
    ///   - scale: γ, `[c]`, or nil (TensorFlow's default `scale=False`, used by MAML and l2b).
    ///   - epsilon: added to the variance; 1e-3 in TensorFlow's `batch_norm`.
    public func batchNormalized(offset: Variable?, scale: Variable? = nil, epsilon: Float = 1e-3) -> Variable {
        batchNormalized(offset: offset, scale: scale, epsilon: epsilon, rectified: false)
    }

    /// `batchNormalized(...).relu()` in one op: the kernel writes ReLU(y) in its normalizing pass,
    /// and the pullback masks ḡ with [y > 0] before batch norm's. The same bits as the two ops.
    public func batchNormalizedReLU(offset: Variable?, scale: Variable? = nil, epsilon: Float = 1e-3) -> Variable {
        batchNormalized(offset: offset, scale: scale, epsilon: epsilon, rectified: true)
    }

    private func batchNormalized(offset: Variable?, scale: Variable?, epsilon: Float, rectified: Bool) -> Variable {
        let originalShape = shape
        let c = shape[shape.count - 1], rows = value.count / c
        let x = dual.reshaped(to: [rows, c])
        let (scaleDual, offsetDual) = (scale?.dual, offset?.dual)
        let (y, saved) = batchNormForward(x, offset: offsetDual, scale: scaleDual, epsilon: epsilon, rectified: rectified)
        var inputs = [self]
        if let scale { inputs.append(scale) }
        if let offset { inputs.append(offset) }
        let hasScale = scale != nil
        let output = y.value  // > 0 exactly where ReLU passed its input (rectified)
        return tape.record(y.reshaped(to: originalShape), inputs: inputs) { g, needed in
            let flat = g.reshaped(to: [rows, c])
            let grads = batchNormBackward(flat, saved: saved, scale: scaleDual, reluOutput: rectified ? output : nil)
            var result: [Dual?] = [needed[0] ? grads.x.reshaped(to: originalShape) : nil]
            if hasScale { result.append(grads.scale) }
            if offsetDual != nil { result.append(grads.offset) }
            return result
        }
    }
}
