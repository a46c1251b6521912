// The sinusoid regressor's derivatives written out by hand: a ReLU MLP with the squared error, its
// gradient (backpropagation) and its Hessian-vector product (Pearlmutter's R-operator), on flat
// buffers with no tape. `MetaLearner` uses it for MLP regression tasks because a 1-40-40-1 task is so
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

typealias FloatBuffer = UnsafeMutableBufferPointer<Float>

/// One forward and backward pass of the squared error at one θ, kept for the Hessian-vector product.
/// Its buffers live in the arena that made it.
struct MLPPass {
    let rows: Int
    /// h_0 = x, h_1 … h_{L−1} back to back (`HandDerivedMLP.input`).
    let inputs: FloatBuffer
    /// δ_j = ∂loss/∂a_j, back to back (`HandDerivedMLP.delta`).
    let deltas: FloatBuffer
    /// ∇loss in parameter order.
    let gradient: FloatBuffer
    /// W_jᵀ [n_{j+1} × n_j] where W_j is in the parameters (j ≥ 1), so δ_j W_jᵀ is a row-major product.
    let transposedWeights: FloatBuffer
    let loss: Float
}

/// A ReLU MLP with layer sizes n_0 … n_L and the squared error. Its parameters are one flat buffer
/// in the order of `MLP`: W_0 [n_0 × n_1], b_0 [n_1], W_1, b_1, …
struct HandDerivedMLP {
    let sizes: [Int]
    let weightOffsets: [Int], biasOffsets: [Int]
    let parameterCount: Int
    /// h_j starts at rows · inputStarts[j] in `MLPPass.inputs`, δ_j at rows · deltaStarts[j] in `deltas`.
    let inputStarts: [Int], deltaStarts: [Int]
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
        inputStarts = (0..<sizes.count).map { sizes[..<$0].reduce(0, +) }
        deltaStarts = (0..<sizes.count).map { sizes[1..<($0 + 1)].reduce(0, +) }
    }

    func weights(_ parameters: FloatBuffer, _ j: Int) -> FloatBuffer { view(parameters, weightOffsets[j], sizes[j] * sizes[j + 1]) }
    func bias(_ parameters: FloatBuffer, _ j: Int) -> FloatBuffer { view(parameters, biasOffsets[j], sizes[j + 1]) }
    func input(_ inputs: FloatBuffer, _ j: Int, rows: Int) -> FloatBuffer { view(inputs, rows * inputStarts[j], rows * sizes[j]) }
    func delta(_ deltas: FloatBuffer, _ j: Int, rows: Int) -> FloatBuffer { view(deltas, rows * deltaStarts[j], rows * sizes[j + 1]) }

    /// Forward, loss and backward at θ for inputs x [rows × n_0] and targets t [rows × n_L].
    func pass(_ theta: FloatBuffer, inputs x: FloatBuffer, targets t: FloatBuffer, rows: Int, arena: FloatArena) -> MLPPass {
        let inputs = arena.take(rows * inputStarts[layers])
        _ = input(inputs, 0, rows: rows).initialize(fromContentsOf: x)
        let error = arena.take(rows * sizes[layers])
        for j in 0..<layers {
            let a = j == layers - 1 ? error : input(inputs, j + 1, rows: rows)
            affine(input(inputs, j, rows: rows), weights(theta, j), bias(theta, j), into: a, rows: rows, layer: j)
            if j < layers - 1 { relu(UnsafeBufferPointer(a), into: a) }
        }
        subtract(UnsafeBufferPointer(error), UnsafeBufferPointer(t), into: error)  // y − t
        let loss = dot(UnsafeBufferPointer(error), UnsafeBufferPointer(error)) / Float(rows)
        let deltas = arena.take(rows * deltaStarts[layers])
        scale(UnsafeBufferPointer(error), by: 2 / Float(rows), into: delta(deltas, layers - 1, rows: rows))
        let gradient = arena.zeros(parameterCount)
        let transposed = transposedWeights(theta, arena: arena)
        for j in stride(from: layers - 1, through: 1, by: -1) {
            let back = delta(deltas, j - 1, rows: rows)
            multiply(delta(deltas, j, rows: rows), weights(transposed, j), into: back, m: rows, n: sizes[j], k: sizes[j + 1])
            keepWherePositive(UnsafeBufferPointer(back), where: UnsafeBufferPointer(input(inputs, j, rows: rows)), into: back)
        }
        for j in 0..<layers {
            addLayerGradient(input(inputs, j, rows: rows), delta(deltas, j, rows: rows), layer: j, rows: rows, into: gradient)
        }
        return MLPPass(rows: rows, inputs: inputs, deltas: deltas, gradient: gradient, transposedWeights: transposed, loss: loss)
    }

    /// H(θ)·v, the Hessian of the loss at θ along v, from a stored `pass` at θ.
    func hessianVector(_ theta: FloatBuffer, at pass: MLPPass, along v: FloatBuffer, arena: FloatArena) -> FloatBuffer {
        let rows = pass.rows
        let h = { (j: Int) in self.input(pass.inputs, j, rows: rows) }
        let rInputs = arena.take(rows * inputStarts[layers])  // Rh_j in the layout of h_j; Rh_0 = 0 is never read
        let rDeltas = arena.take(rows * deltaStarts[layers])  // Rδ_j in the layout of δ_j
        for j in 0..<layers {
            let ra = j == layers - 1 ? delta(rDeltas, j, rows: rows) : input(rInputs, j + 1, rows: rows)
            affine(h(j), weights(v, j), bias(v, j), into: ra, rows: rows, layer: j)
            if j > 0 { multiply(input(rInputs, j, rows: rows), weights(theta, j), into: ra, m: rows, n: sizes[j + 1], k: sizes[j], accumulate: true) }
            if j < layers - 1 { keepWherePositive(UnsafeBufferPointer(ra), where: UnsafeBufferPointer(h(j + 1)), into: ra) }
        }
        let last = delta(rDeltas, layers - 1, rows: rows)
        scale(UnsafeBufferPointer(last), by: 2 / Float(rows), into: last)
        let transposedDirection = transposedWeights(v, arena: arena)
        for j in stride(from: layers - 1, through: 1, by: -1) {
            let back = delta(rDeltas, j - 1, rows: rows)
            multiply(delta(rDeltas, j, rows: rows), weights(pass.transposedWeights, j), into: back, m: rows, n: sizes[j], k: sizes[j + 1])
            multiply(delta(pass.deltas, j, rows: rows), weights(transposedDirection, j), into: back,
                     m: rows, n: sizes[j], k: sizes[j + 1], accumulate: true)
            keepWherePositive(UnsafeBufferPointer(back), where: UnsafeBufferPointer(h(j)), into: back)
        }
        let product = arena.zeros(parameterCount)
        for j in 0..<layers {
            addLayerGradient(h(j), delta(rDeltas, j, rows: rows), layer: j, rows: rows, into: product)
            if j > 0 {
                addLayerGradient(input(rInputs, j, rows: rows), delta(pass.deltas, j, rows: rows), layer: j, rows: rows,
                                 biases: false, into: product)
            }
        }
        return product
    }

    /// out = h W_j + b_j for h [rows × n_j].
    private func affine(_ h: FloatBuffer, _ w: FloatBuffer, _ b: FloatBuffer, into out: FloatBuffer, rows: Int, layer j: Int) {
        for r in 0..<rows { _ = view(out, r * b.count, b.count).update(fromContentsOf: b) }
        multiply(h, w, into: out, m: rows, n: sizes[j + 1], k: sizes[j], accumulate: true)
    }

    /// out[W_j] += h_jᵀ δ_j and, with `biases`, out[b_j] += Σ_rows δ_j.
    private func addLayerGradient(_ h: FloatBuffer, _ delta: FloatBuffer, layer j: Int, rows: Int, biases: Bool = true,
                                  into out: FloatBuffer) {
        matmulSerialUnpacked(UnsafeBufferPointer(h), UnsafeBufferPointer(delta), into: weights(out, j),
                             m: sizes[j], n: sizes[j + 1], k: rows, transposeA: true, accumulate: true)
        if biases {
            sumAxis(UnsafeBufferPointer(delta), into: bias(out, j), outer: 1, axis: rows, inner: sizes[j + 1], accumulate: true)
        }
    }

    /// W_jᵀ for j ≥ 1, each at W_j's offset (the other floats are unspecified).
    private func transposedWeights(_ parameters: FloatBuffer, arena: FloatArena) -> FloatBuffer {
        let out = arena.take(parameterCount)
        for j in 1..<max(1, layers) {
            transpose2D(UnsafeBufferPointer(weights(parameters, j)), into: weights(out, j), rows: sizes[j], cols: sizes[j + 1])
        }
        return out
    }
}

/// c (+)= a · b, row-major, serial and unpacked.
private func multiply(_ a: FloatBuffer, _ b: FloatBuffer, into c: FloatBuffer, m: Int, n: Int, k: Int, accumulate: Bool = false) {
    matmulSerialUnpacked(UnsafeBufferPointer(a), UnsafeBufferPointer(b), into: c, m: m, n: n, k: k, accumulate: accumulate)
}

/// buffer[start ..< start + count].
func view(_ buffer: FloatBuffer, _ start: Int, _ count: Int) -> FloatBuffer {
    FloatBuffer(rebasing: buffer[start..<(start + count)])
}
