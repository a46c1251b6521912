// Gather by index and its adjoint, scatter-add. Indices are Int32 positions into the flat source.

@inline(__always)
func checkIndex(_ name: String, _ index: Int32, at position: Int, count: Int) -> Int {
    let i = Int(index)
    precondition(i >= 0 && i < count, "\(name): indices[\(position)] = \(i) is outside 0..<\(count)")
    return i
}

/// out[i] = source[indices[i]].
public func gather(
    _ source: UnsafeBufferPointer<Float>, indices: UnsafeBufferPointer<Int32>,
    into out: UnsafeMutableBufferPointer<Float>
) {
    precondition(indices.count == out.count, "gather: \(indices.count) indices but out has \(out.count) elements")
    for p in 0..<indices.count {
        out[p] = source[checkIndex("gather", indices[p], at: p, count: source.count)]
    }
}

/// out[indices[i]] += values[i] (the adjoint of `gather`). Repeated indices add up, in index order.
public func scatterAdd(
    _ values: UnsafeBufferPointer<Float>, indices: UnsafeBufferPointer<Int32>,
    into out: UnsafeMutableBufferPointer<Float>
) {
    precondition(indices.count == values.count, "scatterAdd: \(indices.count) indices but \(values.count) values")
    for p in 0..<indices.count {
        out[checkIndex("scatterAdd", indices[p], at: p, count: out.count)] += values[p]
    }
}
