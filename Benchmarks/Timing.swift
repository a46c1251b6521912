// Timing helpers for the benchmarks: repeat a body until enough runs, summarize, keep results alive.
// Wall-clock time from a monotonic clock; other processes on the machine add noise, so report medians.

import Dispatch
import Foundation

/// Per-run wall-clock times of one benchmark body, in milliseconds.
struct Timings {
    let milliseconds: [Double]

    var median: Double { medianOf(milliseconds) }
    var minimum: Double { milliseconds.min() ?? .nan }
    var runs: Int { milliseconds.count }
}

/// Calls `body` `warmupRuns` times untimed, then times it until there are at least `minimumRuns` runs
/// and `minimumSeconds` have passed (capped at `maximumRuns`).
/// - Complexity: as many calls of `body` as needed to reach both minimums.
/// `METALEARN_BENCHMARK_RUNS=N` overrides all of this with exactly N timed runs and no warm-up
/// (for profilers such as callgrind, and quick smoke runs).
func measure(warmupRuns: Int = 3, minimumRuns: Int = 10, minimumSeconds: Double = 1,
             maximumRuns: Int = 100_000, _ body: () -> Void) -> Timings {
    if let text = ProcessInfo.processInfo.environment["METALEARN_BENCHMARK_RUNS"], let runs = Int(text), runs > 0 {
        return Timings(milliseconds: (0..<runs).map { _ in
            let before = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - before) / 1e6
        })
    }
    for _ in 0..<warmupRuns { body() }
    var times: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    while true {
        let before = DispatchTime.now().uptimeNanoseconds
        body()
        let after = DispatchTime.now().uptimeNanoseconds
        times.append(Double(after - before) / 1e6)
        let elapsed = Double(after - start) / 1e9
        if times.count >= maximumRuns || (times.count >= minimumRuns && elapsed >= minimumSeconds) { break }
    }
    return Timings(milliseconds: times)
}

/// The middle value (mean of the two middle values for an even count); NaN when empty.
func medianOf(_ values: [Double]) -> Double {
    if values.isEmpty { return .nan }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// A sink the optimizer cannot see through, so benchmarked work is never deleted as unused.
/// `@_optimize(none)` stops the whole-module optimizer from proving the call has no effect.
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
