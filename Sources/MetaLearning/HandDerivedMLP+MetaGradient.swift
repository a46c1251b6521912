// The adjoint loop of MetaGradient.swift for `HandDerivedMLP`: the same equations, with the
// support passes of the inner loop kept and reused by the Hessian-vector products (the generic
// path recomputes them inside each forward-over-reverse pass).

import Kernels

/// Inputs [rows × n_0] and targets [rows × n_L] of one regression set, flat.
struct RegressionSet {
    let inputs: FloatBuffer
    let targets: FloatBuffer
    let rows: Int
}

extension HandDerivedMLP {
    /// `metaGradient(at:…)` for the squared error of this MLP on one regression task.
    ///
    /// - Parameters:
    ///   - theta: θ₀, flat in parameter order.
    ///   - stepSizes: s per element, flat (Meta-SGD), or nil for the uniform `alpha`.
    ///   - arena: holds every buffer made here, including the results.
    /// - Returns: the query loss at θ_K, dL/dθ₀ (∇L at θ_K when first order) and dL/ds.
    func metaGradient(at theta: FloatBuffer, stepSizes: FloatBuffer?, alpha: Float, support: RegressionSet,
                      query: RegressionSet, innerSteps: Int, firstOrder: Bool,
                      arena: FloatArena) -> (loss: Float, gradient: FloatBuffer, stepSizeGradient: FloatBuffer) {
        /// out = s ⊙ x.
        func step(_ x: FloatBuffer) -> FloatBuffer {
            let out = arena.take(x.count)
            if let rates = stepSizes {
                multiply(UnsafeBufferPointer(rates), UnsafeBufferPointer(x), into: out)
            } else {
                scale(UnsafeBufferPointer(x), by: alpha, into: out)
            }
            return out
        }
        // Adapt: θₖ₊₁ = θₖ − s ⊙ ∇L_support(θₖ), keeping each θₖ and its pass.
        var trajectory = [theta]
        var passes: [MLPPass] = []
        for k in 0..<innerSteps {
            let pass = self.pass(trajectory[k], inputs: support.inputs, targets: support.targets, rows: support.rows, arena: arena)
            passes.append(pass)
            let next = step(pass.gradient)
            subtract(UnsafeBufferPointer(trajectory[k]), UnsafeBufferPointer(next), into: next)
            trajectory.append(next)
        }
        let queryPass = pass(trajectory[innerSteps], inputs: query.inputs, targets: query.targets, rows: query.rows, arena: arena)
        let adjoint = arena.copy(UnsafeBufferPointer(queryPass.gradient))
        let stepSizeAdjointNegated = arena.zeros(parameterCount)  // −s̄, accumulated with addProduct
        // Adjoint: s̄ −= ∇L_support(θₖ) ⊙ ḡₖ₊₁;  ḡₖ = ḡₖ₊₁ − H(θₖ)·(s ⊙ ḡₖ₊₁).
        for k in stride(from: innerSteps - 1, through: 0, by: -1) {
            addProduct(UnsafeBufferPointer(passes[k].gradient), UnsafeBufferPointer(adjoint), into: stepSizeAdjointNegated)
            if firstOrder { continue }
            let hv = hessianVector(trajectory[k], at: passes[k], along: step(adjoint), arena: arena)
            subtract(UnsafeBufferPointer(adjoint), UnsafeBufferPointer(hv), into: adjoint)
        }
        scale(UnsafeBufferPointer(stepSizeAdjointNegated), by: -1, into: stepSizeAdjointNegated)
        return (queryPass.loss, adjoint, stepSizeAdjointNegated)
    }
}
