// Every differentiable op: gradient, JVP and Hessian-vector product against central finite
// differences (accumulated in Double), and the symmetry uᵀ(Hv) = vᵀ(Hu).

import Autodiff
import Testing
import TestSupport

@Suite("Op derivatives against finite differences")
struct OpDerivativeTests {
    static let names = derivativeCases.map(\.name)

    func lookup(_ name: String) -> DerivativeCase { derivativeCases.first { $0.name == name }! }

    func randomDirection(like inputs: [Tensor], seed: UInt64) -> [Tensor] {
        var generator = TestGenerator(seed: seed)
        return inputs.map { Tensor.randomNormal(shape: $0.shape, using: &generator) }
    }

    @Test("gradient matches finite differences", arguments: names)
    func gradientMatches(name: String) {
        let testCase = lookup(name)
        let x = inputs(for: testCase, seed: 1)
        let analytic = gradient(at: x, in: testCase.function)
        let numeric = numericalGradient(of: testCase.function, at: x, step: 1e-2)
        for (a, n) in zip(analytic, numeric) {
            #expect(relativeError(a, n) < 2e-3, "\(name): gradient \(a.scalars) vs \(n)")
        }
    }

    @Test("JVP matches finite differences", arguments: names)
    func jvpMatches(name: String) {
        let testCase = lookup(name)
        let x = inputs(for: testCase, seed: 2)
        let v = randomDirection(like: x, seed: 3)
        let analytic = jvp(at: x, along: v, in: testCase.function).derivative
        let numeric = numericalDirectionalDerivative(of: testCase.function, at: x, along: v, step: 1e-2)
        #expect(isClose(Double(analytic), numeric, relativeTolerance: 2e-3, absoluteTolerance: 1e-3),
                "\(name): JVP \(analytic) vs \(numeric)")
        // The forward (JVP) and reverse (gradient) derivatives agree exactly up to rounding.
        let reverse = innerProduct(gradient(at: x, in: testCase.function), v)
        #expect(isClose(Double(analytic), reverse, relativeTolerance: 1e-4, absoluteTolerance: 1e-4))
    }

    @Test("HVP matches finite differences of the gradient", arguments: names)
    func hvpMatches(name: String) {
        let testCase = lookup(name)
        let x = inputs(for: testCase, seed: 4)
        let v = randomDirection(like: x, seed: 5)
        let result = hessianVectorProduct(at: x, along: v, in: testCase.function)
        let numeric = numericalHessianVectorProduct(of: testCase.function, at: x, along: v, step: 1e-2)
        for (a, n) in zip(result.hessianVector, numeric) {
            #expect(relativeError(a, n) < 5e-3, "\(name): HVP \(a.scalars) vs \(n)")
        }
        let plain = gradient(at: x, in: testCase.function)
        for (g, h) in zip(result.gradient, plain) { #expect(g == h, "\(name): HVP pass changed the gradient") }
    }

    @Test("HVP is symmetric: uᵀ(Hv) = vᵀ(Hu)", arguments: names)
    func hvpIsSymmetric(name: String) {
        let testCase = lookup(name)
        let x = inputs(for: testCase, seed: 6)
        let u = randomDirection(like: x, seed: 7)
        let v = randomDirection(like: x, seed: 8)
        let hv = hessianVectorProduct(at: x, along: v, in: testCase.function).hessianVector
        let hu = hessianVectorProduct(at: x, along: u, in: testCase.function).hessianVector
        let left = innerProduct(u, hv)
        let right = innerProduct(v, hu)
        #expect(isClose(left, right, relativeTolerance: 1e-4, absoluteTolerance: 1e-4), "\(name): \(left) vs \(right)")
    }
}
