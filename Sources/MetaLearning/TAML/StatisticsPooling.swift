// Set statistics of the inference network (l2b `_statistics_pooling`): per column mean,
// population variance and a normalised set size, stacked as the columns of a [d, 3] summary.

import Autodiff

/// Column means `[d]` and population variances `[d]` (divided by n, so 0 for one row) of x `[n, d]`.
public func columnMeanAndVariance(_ x: Variable) -> (mean: Variable, variance: Variable) {
    precondition(x.shape.count == 2 && x.shape[0] > 0, "columnMeanAndVariance: needs [n ≥ 1, d], got \(x.shape)")
    let n = x.shape[0]
    let mean = x.sum(alongAxis: 0).scaled(by: 1 / Float(n))
    let centered = x - mean.broadcast(alongAxis: 0, size: n)
    return (mean, centered.squared().sum(alongAxis: 0).scaled(by: 1 / Float(n)))
}

/// The normalised set size (n − 1)/(maxShot − 1): 0 for one example, 1 for maxShot examples.
/// 0 when maxShot ≤ 1 (l2b would divide by zero).
public func normalisedSetSize(_ n: Int, maxShot: Int) -> Float {
    maxShot > 1 ? Float(n - 1) / Float(maxShot - 1) : 0
}

/// The l2b summary of a set x `[n, d]`: `[d, 3]` with columns (mean, population variance, size),
/// where `size` is the same given number in every row.
public func statisticsPooling(_ x: Variable, size: Float) -> Variable {
    let (mean, variance) = columnMeanAndVariance(x)
    let d = x.shape[1]
    return stackedColumns([mean, variance, x.constant(Tensor(repeating: size, shape: [d]))])
}

/// Vectors `[d]` placed side by side as the columns of `[d, k]`.
public func stackedColumns(_ columns: [Variable]) -> Variable {
    let d = columns[0].value.count, k = columns.count
    precondition(columns.allSatisfy { $0.value.count == d }, "stackedColumns: columns differ in length")
    return columns.enumerated().map { j, column in
        column.reshaped(to: [d]).scattering((0..<d).map { Int32($0 * k + j) }, shape: [d, k])
    }.summed()
}

/// Tensors of equal size stacked as the rows of `[k, size]`.
public func stackedRows(_ rows: [Variable]) -> Variable {
    let d = rows[0].value.count, k = rows.count
    precondition(rows.allSatisfy { $0.value.count == d }, "stackedRows: rows differ in size")
    return rows.enumerated().map { i, row in
        row.reshaped(to: [d]).scattering((0..<d).map { Int32(i * d + $0) }, shape: [k, d])
    }.summed()
}

/// The rows of x `[n, d]` at `rows`, as `[rows.count, d]`.
public func selectingRows(_ x: Variable, _ rows: [Int]) -> Variable {
    let d = x.shape[1]
    return x.gathering(rows.flatMap { r in (0..<d).map { Int32(r * d + $0) } }, shape: [rows.count, d])
}

extension Array where Element == Variable {
    /// x₀ + x₁ + … (left to right) of a non-empty list.
    func summed() -> Variable {
        precondition(!isEmpty, "summed: empty list")
        return dropFirst().reduce(self[0], +)
    }
}
