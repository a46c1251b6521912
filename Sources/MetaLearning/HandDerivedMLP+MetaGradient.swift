// The adjoint loop of MetaGradient.swift for `HandDerivedMLP`: the same equations, with the
// support passes of the inner loop kept and reused by the Hessian-vector products (the generic
// path recomputes them inside each forward-over-reverse pass).

import Kernels

extension HandDerivedMLP {
    /// `metaGradient(at:…)` for the squared error of this MLP on one regression task.
    ///
    /// - Parameters:
    ///   - theta: θ₀, flat in parameter order.
    ///   - stepSizes: s per element, flat (Meta-SGD), or nil for the uniform `alpha`.
    ///   - support, query: inputs [rows × n_0] and targets [rows × n_L], flat, with their row counts.
    /// - Returns: the query loss at θ_K, dL/dθ₀ (∇L at θ_K when first order) and dL/ds, flat.
    func metaGradient(at theta: [Float], stepSizes: [Float]?, alpha: Float,
                      support: (inputs: [Float], targets: [Float], rows: Int),
                      query: (inputs: [Float], targets: [Float], rows: Int),
                      innerSteps: Int, firstOrder: Bool) -> (loss: Float, gradient: [Float], stepSizeGradient: [Float]) {
        /// s ⊙ x.
        func step(_ x: [Float]) -> [Float] {
            guard let rates = stepSizes else { return elementwise(x) { scale($0, by: alpha, into: $1) } }
            return elementwise(rates, x) { multiply($0, $1, into: $2) }
        }
        // Adapt: θₖ₊₁ = θₖ − s ⊙ ∇L_support(θₖ), keeping each θₖ and its pass.
        var trajectory = [theta]
        var passes: [MLPPass] = []
        for k in 0..<innerSteps {
            let pass = self.pass(trajectory[k], inputs: support.inputs, targets: support.targets, rows: support.rows)
            passes.append(pass)
            trajectory.append(elementwise(trajectory[k], step(pass.gradient)) { subtract($0, $1, into: $2) })
        }
        let queryPass = pass(trajectory[innerSteps], inputs: query.inputs, targets: query.targets, rows: query.rows)
        var adjoint = queryPass.gradient
        var stepSizeAdjoint = [Float](repeating: 0, count: parameterCount)
        // Adjoint: s̄ −= ∇L_support(θₖ) ⊙ ḡₖ₊₁;  ḡₖ = ḡₖ₊₁ − H(θₖ)·(s ⊙ ḡₖ₊₁).
        for k in stride(from: innerSteps - 1, through: 0, by: -1) {
            let product = elementwise(passes[k].gradient, adjoint) { multiply($0, $1, into: $2) }
            stepSizeAdjoint = elementwise(stepSizeAdjoint, product) { subtract($0, $1, into: $2) }
            if firstOrder { continue }
            let hv = hessianVector(trajectory[k], at: passes[k], along: step(adjoint), rows: support.rows)
            adjoint = elementwise(adjoint, hv) { subtract($0, $1, into: $2) }
        }
        return (queryPass.loss, adjoint, stepSizeAdjoint)
    }
}
