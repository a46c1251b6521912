// The sinusoid regressor's derivatives written out by hand: a ReLU MLP with the squared error, its
// gradient (backpropagation) and its Hessian-vector product (Pearlmutter's R-operator), on flat
// arrays with no tape. `MetaLearner` uses it for MLP regression tasks because a 1-40-40-1 task is so
// small that the engine's per-op bookkeeping costs more than its arithmetic. The tests check it
// against the generic autodiff path (`metaGradient` over `MLP`), which is itself checked against
// finite differences.
//
// Layer j of L maps h_j [rows × n_j] to a_j = h_j W_j + b_j [rows × n_{j+1}];  h_{j+1} = relu(a_j),
// y = a_{L−1};  loss = (1/rows) Σ (y − t)².
// backward    δ_{L−1} = (2/rows)(y − t);   ∇W_j = h_jᵀ δ_j;   ∇b_j = Σ_rows δ_j;
//             δ_{j−1} = (δ_j W_jᵀ) ⊙ [h_j > 0]
// R-forward   along v = (V_j, c_j):   Ra_j = Rh_j W_j + h_j V_j + c_j  (Rh_0 = 0);
//             Rh_{j+1} = Ra_j ⊙ [h_{j+1} > 0]
// R-backward  Rδ_{L−1} = (2/rows) Ra_{L−1};   (Hv)_{W_j} = Rh_jᵀ δ_j + h_jᵀ Rδ_j;   (Hv)_{b_j} = Σ_rows Rδ_j;
//             Rδ_{j−1} = (Rδ_j W_jᵀ + δ_j V_jᵀ) ⊙ [h_j > 0]
// ReLU's second derivative is zero wherever it exists, so the masks do not move along v.

import Kernels

/// One forward and backward pass of the squared error at one θ, kept for the Hessian-vector product.
struct MLPPass {
    /// h_0 = x, h_1 … h_{L−1}: the input of each layer, [rows × n_j].
    var layerInputs: [[Float]]
    /// δ_j = ∂loss/∂a_j, [rows × n_{j+1}].
    var deltas: [[Float]]
    /// ∇loss, flat in parameter order (see `HandDerivedMLP`).
    var gradient: [Float]
    var loss: Float
}

/// A ReLU MLP with layer sizes n_0 … n_L and the squared error. Its parameters are one flat array in
/// the order of `MLP`: W_0 [n_0 × n_1], b_0 [n_1], W_1, b_1, …
struct HandDerivedMLP {
    let sizes: [Int]
    /// Where W_j and b_j start in the flat parameters.
    let weightOffsets: [Int], biasOffsets: [Int]
    let parameterCount: Int
    var layers: Int { sizes.count - 1 }

    init(sizes: [Int]) {
        self.sizes = sizes
        var offset = 0, weights: [Int] = [], biases: [Int] = []
        for j in 0..<(sizes.count - 1) {
            weights.append(offset)
            offset += sizes[j] * sizes[j + 1]
            biases.append(offset)
            offset += sizes[j + 1]
        }
        (weightOffsets, biasOffsets, parameterCount) = (weights, biases, offset)
    }

    /// Forward, loss and backward at θ for inputs x [rows × n_0] and targets t [rows × n_L].
    func pass(_ theta: [Float], inputs x: [Float], targets t: [Float], rows: Int) -> MLPPass {
        var inputs = [x]
        var y: [Float] = []
        for j in 0..<layers {
            var a = repeatedRows(theta, biasOffsets[j], sizes[j + 1], rows)
            multiply(inputs[j], theta, at: weightOffsets[j], into: &a, m: rows, n: sizes[j + 1], k: sizes[j])
            if j == layers - 1 { y = a; break }
            inputs.append(elementwise(a) { relu($0, into: $1) })
        }
        let meanFactor = 1 / Float(rows)
        let error = elementwise(y, t) { subtract($0, $1, into: $2) }
        let loss = error.withUnsafeBufferPointer { dot($0, $0) } * meanFactor
        var delta = elementwise(error) { scale($0, by: 2 * meanFactor, into: $1) }
        var deltas = [[Float]](repeating: [], count: layers)
        var gradient = [Float](repeating: 0, count: parameterCount)
        for j in stride(from: layers - 1, through: 0, by: -1) {
            deltas[j] = delta
            addLayerGradient(inputs[j], delta, layer: j, rows: rows, into: &gradient)
            if j == 0 { break }
            var back = [Float](repeating: 0, count: rows * sizes[j])
            multiply(delta, theta, transposedAt: weightOffsets[j], into: &back, m: rows, n: sizes[j], k: sizes[j + 1])
            delta = elementwise(back, inputs[j]) { keepWherePositive($0, where: $1, into: $2) }
        }
        return MLPPass(layerInputs: inputs, deltas: deltas, gradient: gradient, loss: loss)
    }

    /// H(θ)·v, the Hessian of the loss at θ along v (flat), from a stored `pass` at θ.
    func hessianVector(_ theta: [Float], at pass: MLPPass, along v: [Float], rows: Int) -> [Float] {
        let inputs = pass.layerInputs
        var rInputs: [[Float]] = [[]]  // Rh_0 = 0: the inputs do not depend on θ
        var rOutput: [Float] = []
        for j in 0..<layers {
            var ra = repeatedRows(v, biasOffsets[j], sizes[j + 1], rows)
            multiply(inputs[j], v, at: weightOffsets[j], into: &ra, m: rows, n: sizes[j + 1], k: sizes[j])
            if j > 0 { multiply(rInputs[j], theta, at: weightOffsets[j], into: &ra, m: rows, n: sizes[j + 1], k: sizes[j]) }
            if j == layers - 1 { rOutput = ra; break }
            rInputs.append(elementwise(ra, inputs[j + 1]) { keepWherePositive($0, where: $1, into: $2) })
        }
        var rDelta = elementwise(rOutput) { scale($0, by: 2 / Float(rows), into: $1) }
        var product = [Float](repeating: 0, count: parameterCount)
        for j in stride(from: layers - 1, through: 0, by: -1) {
            addLayerGradient(inputs[j], rDelta, layer: j, rows: rows, into: &product)
            if j > 0 { addLayerGradient(rInputs[j], pass.deltas[j], layer: j, rows: rows, biases: false, into: &product) }
            if j == 0 { break }
            var back = [Float](repeating: 0, count: rows * sizes[j])
            multiply(rDelta, theta, transposedAt: weightOffsets[j], into: &back, m: rows, n: sizes[j], k: sizes[j + 1])
            multiply(pass.deltas[j], v, transposedAt: weightOffsets[j], into: &back, m: rows, n: sizes[j], k: sizes[j + 1])
            rDelta = elementwise(back, inputs[j]) { keepWherePositive($0, where: $1, into: $2) }
        }
        return product
    }

    /// out[W_j] += h_jᵀ δ and, with `biases`, out[b_j] += Σ_rows δ.
    private func addLayerGradient(_ h: [Float], _ delta: [Float], layer j: Int, rows: Int, biases: Bool = true,
                                  into out: inout [Float]) {
        let (weights, bias) = ((weightOffsets[j], sizes[j] * sizes[j + 1]), (biasOffsets[j], sizes[j + 1]))
        h.withUnsafeBufferPointer { h in
            delta.withUnsafeBufferPointer { delta in
                out.withUnsafeMutableBufferPointer { out in
                    matmulSerialUnpacked(h, delta, into: slice(out, weights), m: sizes[j], n: sizes[j + 1], k: rows,
                                         transposeA: true, accumulate: true)
                    if biases { sumAxis(delta, into: slice(out, bias), outer: 1, axis: rows, inner: sizes[j + 1], accumulate: true) }
                }
            }
        }
    }

    /// c += a · W_j (or a · W_jᵀ with `transposedAt`) for W_j stored in `parameters` at `offset`.
    private func multiply(_ a: [Float], _ parameters: [Float], at offset: Int? = nil, transposedAt transposed: Int? = nil,
                          into c: inout [Float], m: Int, n: Int, k: Int) {
        a.withUnsafeBufferPointer { a in
            parameters.withUnsafeBufferPointer { p in
                c.withUnsafeMutableBufferPointer { c in
                    let w = UnsafeBufferPointer(rebasing: p[(offset ?? transposed!)..<((offset ?? transposed!) + n * k)])
                    matmulSerialUnpacked(a, w, into: c, m: m, n: n, k: k, transposeB: transposed != nil, accumulate: true)
                }
            }
        }
    }
}

/// The bias at `offset` of `parameters` (`count` floats) repeated `rows` times: [rows × count].
private func repeatedRows(_ parameters: [Float], _ offset: Int, _ count: Int, _ rows: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: rows * count) { out, initialized in
        parameters.withUnsafeBufferPointer { p in
            for r in 0..<rows { (out.baseAddress! + r * count).initialize(from: p.baseAddress! + offset, count: count) }
        }
        initialized = rows * count
    }
}

/// out[offset ..< offset + count] of a flat buffer.
private func slice(_ buffer: UnsafeMutableBufferPointer<Float>, _ range: (offset: Int, count: Int)) -> UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(rebasing: buffer[range.offset..<(range.offset + range.count)])
}

/// `kernel(x, out)` into a new array of x's size.
func elementwise(_ x: [Float], _ kernel: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: x.count) { out, count in
        x.withUnsafeBufferPointer { kernel($0, out) }
        count = x.count
    }
}

/// `kernel(a, b, out)` into a new array of a's size.
func elementwise(_ a: [Float], _ b: [Float],
                 _ kernel: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    [Float](unsafeUninitializedCapacity: a.count) { out, count in
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { kernel(a, $0, out) } }
        count = a.count
    }
}
