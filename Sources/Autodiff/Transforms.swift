// Function transforms: gradient, JVP and Hessian-vector product of a scalar function of tensors.
// f receives one Variable per input tensor, all on a fresh Tape, and returns a scalar Variable.

/// A differentiable scalar function of several tensors, written with `Variable` ops.
public typealias ScalarFunction = ([Variable]) -> Variable

/// f(x) and ∇f(x) (reverse mode).
public func valueWithGradient(at inputs: [Tensor], in f: ScalarFunction) -> (value: Float, gradient: [Tensor]) {
    let tape = Tape()
    let variables = inputs.map { tape.variable(Dual($0)) }
    let output = f(variables)
    let gradient = tape.gradients(of: output, at: variables).map(\.value)
    return (output.value.scalar, gradient)
}

/// ∇f(x) (reverse mode).
public func gradient(at inputs: [Tensor], in f: ScalarFunction) -> [Tensor] {
    valueWithGradient(at: inputs, in: f).gradient
}

/// f(x) and the directional derivative ⟨∇f(x), v⟩ (forward mode: no pullbacks are recorded).
/// A nil direction means that input is not perturbed.
public func jvp(at inputs: [Tensor], along directions: [Tensor?], in f: ScalarFunction)
    -> (value: Float, derivative: Float)
{
    precondition(inputs.count == directions.count, "jvp: \(inputs.count) inputs, \(directions.count) directions")
    let tape = Tape(recording: false)
    let variables = zip(inputs, directions).map { tape.variable(Dual($0, tangent: $1), needsGradient: false) }
    let output = f(variables).dual
    return (output.value.scalar, output.tangent?.scalar ?? 0)
}

/// f(x), ∇f(x) and H·v, the Hessian of f times the direction v, in one pass (forward over reverse).
///
/// The inputs carry tangents v, every op propagates them (forward mode), and the pullbacks,
/// written with Dual ops, carry them through the reverse pass: the gradient comes out as a Dual
/// whose tangent is d/dε ∇f(x + εv) = H·v.
///
/// Mixed second derivatives come for free: give an input a nil direction (it is not perturbed)
/// and its entry of `hessianVector` is ∂/∂xᵢ ⟨∇f, v⟩ = Σⱼ (∂²f/∂xᵢ∂xⱼ)·vⱼ, for example the
/// derivative of ⟨u, ∇_θ L⟩ with respect to class weights ω or batch-norm offsets.
public func hessianVectorProduct(at inputs: [Tensor], along directions: [Tensor?], in f: ScalarFunction)
    -> (value: Float, gradient: [Tensor], hessianVector: [Tensor])
{
    precondition(inputs.count == directions.count,
                 "hessianVectorProduct: \(inputs.count) inputs, \(directions.count) directions")
    let tape = Tape()
    let variables = zip(inputs, directions).map { tape.variable(Dual($0, tangent: $1)) }
    let output = f(variables)
    let gradient = tape.gradients(of: output, at: variables)
    return (output.value.scalar, gradient.map(\.value),
            gradient.map { $0.tangent ?? Tensor(zeros: $0.shape) })
}

extension Variable {
    /// A constant on the same tape (data, labels, masks): nothing is differentiated with respect to it.
    public func constant(_ value: Tensor) -> Variable { tape.constant(value) }
}
