// The dense (fully connected) layer, composed from matmul and the bias addition.

/// y = x·W + b.   x: `[rows, in]`   W: `[in, out]`   b: `[out]`   y: `[rows, out]`
public func dense(_ x: Variable, weights: Variable, bias: Variable?) -> Variable {
    let y = matmul(x, weights)
    return bias.map { y.addingBias($0) } ?? y
}
