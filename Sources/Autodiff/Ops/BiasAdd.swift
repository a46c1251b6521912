// Adding a bias vector to every row: y[r, c] = x[r, c] + b[c], without materializing the
// broadcast b. Linear: JVP dy = dx + db (broadcast); VJP x̄ = ȳ, b̄ = Σᵣ ȳ (column sums, Dual).

import Kernels

extension Dual {
    /// self `[rows, c]` + bias `[c]` on every row.
    public func addingBias(_ bias: Dual) -> Dual {
        let value = primalValue(.addBias, shape + bias.shape) { Channels.scaleShift([(self.value, nil, bias.value)]) }
        var tangent: Tensor? = nil
        switch (self.tangent, bias.tangent) {
        case (nil, nil): break
        case (let dx?, let db): tangent = Channels.scaleShift([(dx, nil, db)])
        case (nil, let db?): tangent = db.broadcast(alongAxis: 0, size: shape[0])
        }
        return Dual(value, tangent: tangent)
    }

    /// Σ over rows of `[rows, c]` → `[c]`, with the tangent's column sums.
    func columnSums() -> Dual {
        Dual(primalValue(.columnSums, shape) { Channels.sums(value) }, tangent: tangent.map { Channels.sums($0) })
    }
}

extension Variable {
    /// x + b for x `[rows, features]` and b `[features]` (b added to every row).
    public func addingBias(_ bias: Variable) -> Variable {
        precondition(shape.count == 2 && bias.shape == [shape[1]], "addingBias: \(shape) + \(bias.shape)")
        return tape.record(dual.addingBias(bias.dual), inputs: [self, bias]) { g, needed in
            [needed[0] ? g : nil, needed[1] ? g.columnSums() : nil]
        }
    }
}
