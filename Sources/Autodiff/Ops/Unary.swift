// Elementwise functions y = f(x).
//
// value   Kernels.<f>
// JVP     dy = f′(x) ⊙ dx
// VJP     x̄ = ȳ ⊙ f′(x), with f′(x) written as a Dual expression (so its own derivative, f″, flows
//         into Hessian-vector products). ReLU-like ops use a 0/1 mask taken from the primal: a
//         constant, which is why their second derivative is zero.

import Kernels

// MARK: - Tensor (value only)

extension Tensor {
    public func exp() -> Tensor { map { Kernels.exp($0, into: $1) } }
    public func log() -> Tensor { map { Kernels.log($0, into: $1) } }
    public func relu() -> Tensor { map { Kernels.relu($0, into: $1) } }
    public func leakyRelu(slope: Float) -> Tensor { map { Kernels.leakyRelu($0, slope: slope, into: $1) } }
    public func sigmoid() -> Tensor { map { Kernels.sigmoid($0, into: $1) } }
    public func softplus() -> Tensor { map { Kernels.softplus($0, into: $1) } }
    public func squared() -> Tensor { map { Kernels.square($0, into: $1) } }
    public func squareRoot() -> Tensor { map { Kernels.squareRoot($0, into: $1) } }
    public func reciprocal() -> Tensor { map { Kernels.reciprocal($0, into: $1) } }
    /// 1 where x > 0, else 0.
    public func positiveMask() -> Tensor { map { Kernels.positiveMask($0, into: $1) } }
    /// self where `sign` > 0, else 0: self ⊙ sign.positiveMask() in one pass.
    public func keptWherePositive(_ sign: Tensor) -> Tensor {
        precondition(shape == sign.shape, "keptWherePositive: \(shape) and \(sign.shape)")
        return scalars.withUnsafeBufferPointer { g in
            sign.scalars.withUnsafeBufferPointer { x in
                Tensor.filled(shape: shape) { Kernels.keepWherePositive(g, where: x, into: $0) }
            }
        }
    }
    /// 1 where x > 0, else `slope`.
    public func leakyMask(slope: Float) -> Tensor { map { Kernels.leakyMask($0, slope: slope, into: $1) } }
}

// MARK: - Dual (forward mode)

extension Dual {
    /// y = f(x) with dy = f′(x) ⊙ dx, given y and f′(x) as tensors.
    @inlinable
    func elementwise(value: Tensor, derivative: @autoclosure () -> Tensor) -> Dual {
        Dual(value, tangent: tangent.map { derivative() * $0 })
    }
    public func exp() -> Dual { let y = primalValue(.exp, shape) { value.exp() }; return elementwise(value: y, derivative: y) }
    public func log() -> Dual { elementwise(value: primalValue(.log, shape) { value.log() }, derivative: value.reciprocal()) }
    /// dy = dx where x > 0, else 0 (one masked copy).
    public func relu() -> Dual { Dual(primalValue(.relu, shape) { value.relu() }, tangent: tangent.map { $0.keptWherePositive(value) }) }
    /// This Dual where `sign` > 0, else 0, tangent too: multiplication by the constant mask [sign > 0].
    func keptWherePositive(_ sign: Tensor) -> Dual {
        Dual(primalValue(.keepPositive, shape) { value.keptWherePositive(sign) }, tangent: tangent.map { $0.keptWherePositive(sign) })
    }
    public func leakyRelu(slope: Float) -> Dual {
        elementwise(value: primalValue(.leakyRelu, shape + [Int(slope.bitPattern)]) { value.leakyRelu(slope: slope) }, derivative: value.leakyMask(slope: slope))
    }
    public func sigmoid() -> Dual {
        let s = primalValue(.sigmoid, shape) { value.sigmoid() }
        return elementwise(value: s, derivative: s - s.squared())
    }
    public func softplus() -> Dual { elementwise(value: primalValue(.softplus, shape) { value.softplus() }, derivative: value.sigmoid()) }
    public func squared() -> Dual { elementwise(value: primalValue(.square, shape) { value.squared() }, derivative: value.scaled(by: 2)) }
    /// x^(-1/2), used by batch norm; d = −½ x^(-3/2).
    public func reciprocalSquareRoot() -> Dual {
        let y = primalValue(.rsqrt, shape) { value.squareRoot().reciprocal() }
        return elementwise(value: y, derivative: (y * y * y).scaled(by: -0.5))
    }
}

// MARK: - Variable (reverse mode)

extension Variable {
    public func exp() -> Variable {
        let y = dual.exp()
        return tape.record(y, inputs: [self]) { g, _ in [g * y] }
    }
    public func log() -> Variable {
        let x = dual
        return tape.record(x.log(), inputs: [self]) { g, _ in [g / x] }
    }
    public func relu() -> Variable {
        let y = dual.relu()
        let output = y.value  // y > 0 exactly where x > 0
        return tape.record(y, inputs: [self]) { g, _ in [g.keptWherePositive(output)] }
    }
    public func leakyRelu(slope: Float = 0.2) -> Variable {
        let mask = Dual(value.leakyMask(slope: slope))
        return tape.record(dual.leakyRelu(slope: slope), inputs: [self]) { g, _ in [g * mask] }
    }
    public func sigmoid() -> Variable {
        let y = dual.sigmoid()
        return tape.record(y, inputs: [self]) { g, _ in [g * (y - y * y)] }
    }
    public func softplus() -> Variable {
        let x = dual
        return tape.record(x.softplus(), inputs: [self]) { g, _ in [g * x.sigmoid()] }
    }
    public func squared() -> Variable {
        let x = dual
        return tape.record(x.squared(), inputs: [self]) { g, _ in [g * x.scaled(by: 2)] }
    }
    public func reciprocalSquareRoot() -> Variable {
        let y = dual.reciprocalSquareRoot()
        return tape.record(y, inputs: [self]) { g, _ in [g * (y * y * y).scaled(by: -0.5)] }
    }
}
