// Elementwise arithmetic on tensors of equal shape, and scaling by a constant.
//
// value   a ± b,  a ⊙ b,  a ⊘ b,  s·a
// JVP     d(a±b) = da ± db;  d(a⊙b) = da⊙b + a⊙db;  d(a⊘b) = (da − (a⊘b)⊙db) ⊘ b
// VJP     ā = ḡ, b̄ = ±ḡ;  ā = ḡ⊙b, b̄ = ḡ⊙a;  ā = ḡ⊘b, b̄ = −ḡ⊙a⊘b²   (written with Dual ops)

import Kernels

// MARK: - Tensor (value only)

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { a.zip(b, "add") { Kernels.add($0, $1, into: $2) } }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.zip(b, "subtract") { Kernels.subtract($0, $1, into: $2) } }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.zip(b, "multiply") { Kernels.multiply($0, $1, into: $2) } }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.zip(b, "divide") { Kernels.divide($0, $1, into: $2) } }
    public static prefix func - (a: Tensor) -> Tensor { a.scaled(by: -1) }
    /// s·self.
    public func scaled(by s: Float) -> Tensor { map { Kernels.scale($0, by: s, into: $1) } }
    /// self + s elementwise.
    public func adding(_ s: Float) -> Tensor { map { Kernels.addScalar($0, s, into: $1) } }
}

// MARK: - Dual (forward mode)

extension Dual {
    public static func + (a: Dual, b: Dual) -> Dual {
        Dual(primalValue(.add, a.shape) { a.value + b.value }, tangent: addTangents(a.tangent, b.tangent))
    }
    public static func - (a: Dual, b: Dual) -> Dual {
        Dual(primalValue(.subtract, a.shape) { a.value - b.value }, tangent: addTangents(a.tangent, b.tangent.map { -$0 }))
    }
    public static prefix func - (a: Dual) -> Dual { a.scaled(by: -1) }
    public static func * (a: Dual, b: Dual) -> Dual {
        Dual(primalValue(.multiply, a.shape) { a.value * b.value }, tangent: addTangents(a.tangent.map { $0 * b.value }, b.tangent.map { a.value * $0 }))
    }
    public static func / (a: Dual, b: Dual) -> Dual {
        let quotient = primalValue(.divide, a.shape) { a.value / b.value }
        let numerator = addTangents(a.tangent, b.tangent.map { -(quotient * $0) })
        return Dual(quotient, tangent: numerator.map { $0 / b.value })
    }
    public func scaled(by s: Float) -> Dual { Dual(primalValue(.scale, shape + [Int(s.bitPattern)]) { value.scaled(by: s) }, tangent: tangent?.scaled(by: s)) }
    public func adding(_ s: Float) -> Dual { Dual(primalValue(.addScalar, shape + [Int(s.bitPattern)]) { value.adding(s) }, tangent: tangent) }
}

// MARK: - Variable (reverse mode)

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        a.tape.record(a.dual + b.dual, inputs: [a, b]) { g, _ in [g, g] }
    }
    public static func - (a: Variable, b: Variable) -> Variable {
        a.tape.record(a.dual - b.dual, inputs: [a, b]) { g, needed in [g, needed[1] ? -g : nil] }
    }
    public static prefix func - (a: Variable) -> Variable { a.scaled(by: -1) }
    public static func * (a: Variable, b: Variable) -> Variable {
        let (x, y) = (a.dual, b.dual)  // captured by value: a closure holding a Variable would retain the tape
        return a.tape.record(x * y, inputs: [a, b]) { g, needed in
            [needed[0] ? g * y : nil, needed[1] ? g * x : nil]
        }
    }
    public static func / (a: Variable, b: Variable) -> Variable {
        let (x, y) = (a.dual, b.dual)
        return a.tape.record(x / y, inputs: [a, b]) { g, needed in
            [needed[0] ? g / y : nil, needed[1] ? -(g * x / (y * y)) : nil]
        }
    }
    public func scaled(by s: Float) -> Variable {
        tape.record(dual.scaled(by: s), inputs: [self]) { g, _ in [g.scaled(by: s)] }
    }
    public func adding(_ s: Float) -> Variable {
        tape.record(dual.adding(s), inputs: [self]) { g, _ in [g] }
    }
}
