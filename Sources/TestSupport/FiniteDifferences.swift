// Central finite differences of scalar functions written with Variable ops: the oracle that
// every derivative in the engine is checked against. Differences are accumulated in Double.

import Autodiff

/// Evaluates f at `inputs` without recording pullbacks.
public func evaluate(_ f: ScalarFunction, at inputs: [Tensor]) -> Double {
    let tape = Tape(recording: false)
    return Double(f(inputs.map { tape.variable(Dual($0), needsGradient: false) }).value.scalar)
}

/// inputs + ε·direction (nil directions leave an input unchanged).
public func perturb(_ inputs: [Tensor], along direction: [Tensor?], by epsilon: Float) -> [Tensor] {
    zip(inputs, direction).map { x, v in
        guard let v else { return x }
        return Tensor(shape: x.shape, scalars: zip(x.scalars, v.scalars).map { $0 + epsilon * $1 })
    }
}

/// The directional derivative ⟨∇f(x), v⟩ by central differences D(h) = (f(x + hv) − f(x − hv)) / 2h,
/// with one Richardson step, (4·D(h/2) − D(h)) / 3, which cancels the O(h²) error term.
public func numericalDirectionalDerivative(
    of f: ScalarFunction, at inputs: [Tensor], along direction: [Tensor?], step h: Float = 1e-2
) -> Double {
    func central(_ h: Float) -> Double {
        let plus = evaluate(f, at: perturb(inputs, along: direction, by: h))
        let minus = evaluate(f, at: perturb(inputs, along: direction, by: -h))
        return (plus - minus) / (2 * Double(h))
    }
    return (4 * central(h / 2) - central(h)) / 3
}

/// The full gradient by central differences, one coordinate at a time (small inputs only).
public func numericalGradient(of f: ScalarFunction, at inputs: [Tensor], step h: Float = 1e-2) -> [[Double]] {
    inputs.indices.map { i in
        (0..<inputs[i].count).map { j in
            var direction = inputs.map { _ -> Tensor? in nil }
            var unit = Tensor(zeros: inputs[i].shape)
            unit.scalars[j] = 1
            direction[i] = unit
            return numericalDirectionalDerivative(of: f, at: inputs, along: direction, step: h)
        }
    }
}

/// The Hessian-vector product H·v for every input, by central differences of the gradient,
/// (∇f(x + hv) − ∇f(x − hv)) / 2h, with the same Richardson step as above.
public func numericalHessianVectorProduct(
    of f: ScalarFunction, at inputs: [Tensor], along direction: [Tensor?], step h: Float = 1e-2
) -> [[Double]] {
    func central(_ h: Float) -> [[Double]] {
        let plus = gradient(at: perturb(inputs, along: direction, by: h), in: f)
        let minus = gradient(at: perturb(inputs, along: direction, by: -h), in: f)
        return zip(plus, minus).map { p, m in
            zip(p.scalars, m.scalars).map { (Double($0) - Double($1)) / (2 * Double(h)) }
        }
    }
    return zip(central(h / 2), central(h)).map { half, full in zip(half, full).map { (4 * $0 - $1) / 3 } }
}

/// ⟨a, b⟩ over lists of tensors, in Double.
public func innerProduct(_ a: [Tensor], _ b: [Tensor]) -> Double {
    zip(a, b).reduce(0) { total, pair in
        total + zip(pair.0.scalars, pair.1.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
}
