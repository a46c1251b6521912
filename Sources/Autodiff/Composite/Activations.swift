// Activations composed from primitives.

extension Variable {
    /// ELU: x for x > 0, α(eˣ − 1) otherwise, written as relu(x) + α(exp(−relu(−x)) − 1)
    /// so that its first and second derivatives come from exact primitives.
    public func elu(alpha: Float = 1) -> Variable {
        let negativePart = (-(-self).relu()).exp().adding(-1).scaled(by: alpha)
        return relu() + negativePart
    }
}
