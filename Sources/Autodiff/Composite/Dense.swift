// Bias addition and the dense (fully connected) layer, composed from broadcast, + and matmul.

extension Variable {
    /// x + b for x `[rows, features]` and b `[features]` (b broadcast over the rows).
    public func addingBias(_ bias: Variable) -> Variable {
        precondition(shape.count == 2 && bias.shape == [shape[1]],
                     "addingBias: \(shape) + \(bias.shape)")
        return self + bias.broadcast(alongAxis: 0, size: shape[0])
    }
}

/// y = x·W + b.   x: `[rows, in]`   W: `[in, out]`   b: `[out]`   y: `[rows, out]`
public func dense(_ x: Variable, weights: Variable, bias: Variable?) -> Variable {
    let y = matmul(x, weights)
    return bias.map { y.addingBias($0) } ?? y
}
