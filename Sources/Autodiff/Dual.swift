// Forward mode: a value with an optional tangent (its directional derivative).
// A nil tangent means "exactly zero" and costs nothing, so plain evaluation is Dual with no tangents.

/// A tensor together with its tangent: the derivative of the value along one direction v.
///
/// Every op on `Dual` computes `value` with the kernels and `tangent` by the op's linearization
/// (its JVP). Reverse-mode pullbacks are themselves written with `Dual` ops, so when the primal
/// inputs carry tangents, the reverse pass carries them too and the gradient comes out with its
/// own tangent: the Hessian-vector product (forward over reverse).
public struct Dual: Sendable {
    public var value: Tensor
    /// d(value)/dε along the chosen direction; `nil` means identically zero.
    public var tangent: Tensor?

    public init(_ value: Tensor, tangent: Tensor? = nil) {
        if let tangent {
            precondition(tangent.shape == value.shape,
                         "Dual: tangent shape \(tangent.shape) differs from value shape \(value.shape)")
        }
        self.value = value
        self.tangent = tangent
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }

    /// The same value with the tangent dropped: a constant as far as derivatives go.
    public var withoutTangent: Dual { Dual(value) }
}

/// Sum of two optional tangents, where `nil` is zero.
@inlinable
func addTangents(_ a: Tensor?, _ b: Tensor?) -> Tensor? {
    switch (a, b) {
    case (nil, nil): return nil
    case (let x?, nil): return x
    case (nil, let y?): return y
    case (let x?, let y?): return x + y
    }
}
