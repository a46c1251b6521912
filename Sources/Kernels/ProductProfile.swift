// An opt-in record of every matrix product a program runs: for each shape and algorithm, how many
// calls, how much time and at what rate. It answers "which products does this model spend its time
// in, and how close to the FMA peak do they run where they are called" (a shape timed alone in
// `gemm-conv` runs with warm caches and no neighbours). Off by default; when off, each product pays
// one load of a global flag.
//
// Each call's time is wall time on the thread that made it, so inside a meta-batch (one task per
// thread, products serial) the rate is a per-core rate; a product that runs on several threads
// itself reports its wall-clock rate.

import Dispatch

/// The products of a run, by shape and algorithm. Turn on with `ProductProfile.isEnabled = true`
/// (the Benchmarks executable: `--profile-products`), read with `entries()`.
public enum ProductProfile {
    /// Whether products are recorded. Set it before the work starts, not while products run.
    @exclusivity(unchecked) nonisolated(unsafe) public static var isEnabled = false

    /// One product shape with one algorithm: `C[m×n] (+)= op(A)[m×k]·op(B)[k×n]`.
    public struct Shape: Hashable, Sendable, CustomStringConvertible {
        public let m, n, k: Int
        public let transposeA, transposeB: Bool
        /// "packed", "direct", "deep" (`MatMulDeepTransposedA.swift`), "nine" (`MatMulNineColumns.swift`),
        /// "prepacked" (B packed once for many products) or "conv interior" (`ConvolutionInterior.swift`,
        /// m = output rows, k = window).
        public let algorithm: String

        public var description: String {
            "\(m)×\(n)×\(k) \(transposeA ? "Aᵀ" : "A")·\(transposeB ? "Bᵀ" : "B") \(algorithm)"
        }
    }

    /// What was recorded for one shape.
    public struct Entry: Sendable {
        public let shape: Shape
        public let calls: Int
        public let seconds: Double
        public var flops: Double { 2 * Double(shape.m) * Double(shape.n) * Double(shape.k) * Double(calls) }
        public var gflops: Double { seconds > 0 ? flops / seconds / 1e9 : 0 }
    }

    /// Every shape recorded since the last `reset()`, the most time first.
    public static func entries() -> [Entry] {
        store.withLock { table in
            table.map { Entry(shape: $0.key, calls: $0.value.calls, seconds: $0.value.seconds) }
                .sorted { ($0.seconds, $0.shape.description) > ($1.seconds, $1.shape.description) }
        }
    }

    /// Forgets every record.
    public static func reset() { store.withLock { $0.removeAll() } }

    /// Runs `body`, recording its time under `shape` when enabled.
    @inline(__always)
    static func measure<T>(_ shape: @autoclosure () -> Shape, _ body: () -> T) -> T {
        guard isEnabled else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let key = shape()
        store.withLock { table in
            let old = table[key] ?? (0, 0)
            table[key] = (old.calls + 1, old.seconds + seconds)
        }
        return result
    }

    private static let store = LockedTable()
}

/// The profile's table behind a lock (products are recorded from every worker thread).
private final class LockedTable: @unchecked Sendable {
    private let lock = Lock()
    @exclusivity(unchecked) private var table: [ProductProfile.Shape: (calls: Int, seconds: Double)] = [:]

    func withLock<T>(_ body: (inout [ProductProfile.Shape: (calls: Int, seconds: Double)]) -> T) -> T {
        lock.withLock { body(&table) }
    }
}
