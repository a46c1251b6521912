// The few random draws the samplers use, written out so that the same seed gives the same
// episodes on every Swift version and platform (the standard library's methods may change).

/// Uniform draws from any `RandomNumberGenerator`, with a fixed, documented use of `next()`.
public enum RandomDraws {
    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject method: exact, unbiased).
    public static func index(below bound: Int, using generator: inout some RandomNumberGenerator) -> Int {
        precondition(bound > 0, "RandomDraws.index: bound \(bound) must be positive")
        let range = UInt64(bound)
        var product = generator.next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = generator.next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A uniform integer in `range` (both ends included).
    public static func integer(in range: ClosedRange<Int>, using generator: inout some RandomNumberGenerator) -> Int {
        range.lowerBound + index(below: range.upperBound - range.lowerBound + 1, using: &generator)
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public static func unit(using generator: inout some RandomNumberGenerator) -> Double {
        Double(generator.next() >> 11) * 0x1p-53
    }

    /// A uniform `Double` in [lower, upper).
    public static func uniform(_ lower: Double, _ upper: Double, using generator: inout some RandomNumberGenerator) -> Double {
        lower + (upper - lower) * unit(using: &generator)
    }

    /// `count` distinct integers from `0..<population`, in random order (every ordered sample is
    /// equally likely, like `numpy.random.choice(population, count, replace=False)`).
    ///
    /// Small samples redraw on collision; large ones run a partial Fisher–Yates shuffle.
    public static func distinct(_ count: Int, from population: Int,
                                using generator: inout some RandomNumberGenerator) -> [Int] {
        precondition(count >= 0 && count <= population,
                     "RandomDraws.distinct: \(count) distinct values from \(population)")
        if count * 4 <= population && count <= 256 {
            var chosen = [Int]()
            chosen.reserveCapacity(count)
            while chosen.count < count {
                let candidate = index(below: population, using: &generator)
                if !chosen.contains(candidate) { chosen.append(candidate) }
            }
            return chosen
        }
        var pool = Array(0..<population)
        for position in 0..<count {
            let pick = position + index(below: population - position, using: &generator)
            pool.swapAt(position, pick)
        }
        return Array(pool.prefix(count))
    }
}
