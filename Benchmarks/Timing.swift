// Timing helpers for the benchmarks: repeat a body until enough runs, summarize, keep results alive.
// Wall-clock time from a monotonic clock; other processes on the machine add noise, so report medians.

import Dispatch
import Foundation

/// Per-run times of one benchmark body, in milliseconds: wall clock, and CPU time of the whole
/// process (all threads). cpu ≈ threads × wall means the cores were ours; much less means other
/// processes were running on them, and the wall times are inflated.
struct Timings {
    let milliseconds: [Double]
    var cpuMilliseconds: [Double] = []

    var median: Double { medianOf(milliseconds) }
    var minimum: Double { milliseconds.min() ?? .nan }
    var cpuMedian: Double { medianOf(cpuMilliseconds) }
    var runs: Int { milliseconds.count }
}

/// Calls `body` `warmupRuns` times untimed, then times it until there are at least `minimumRuns` runs
/// and `minimumSeconds` have passed (capped at `maximumRuns`).
/// `METALEARN_BENCHMARK_RUNS=N` overrides all of this with exactly N timed runs and no warm-up
/// (for profilers such as callgrind, and quick smoke runs).
/// - Complexity: as many calls of `body` as needed to reach both minimums.
func measure(warmupRuns: Int = 3, minimumRuns: Int = 10, minimumSeconds: Double = 1,
             maximumRuns: Int = 100_000, _ body: () -> Void) -> Timings {
    var wall: [Double] = []
    var cpu: [Double] = []
    func timeOnce() {
        let (wallBefore, cpuBefore) = (DispatchTime.now().uptimeNanoseconds, processCPUNanoseconds())
        body()
        let (wallAfter, cpuAfter) = (DispatchTime.now().uptimeNanoseconds, processCPUNanoseconds())
        wall.append(Double(wallAfter - wallBefore) / 1e6)
        cpu.append(Double(cpuAfter - cpuBefore) / 1e6)
    }
    if let text = ProcessInfo.processInfo.environment["METALEARN_BENCHMARK_RUNS"], let runs = Int(text), runs > 0 {
        for _ in 0..<runs { timeOnce() }
        return Timings(milliseconds: wall, cpuMilliseconds: cpu)
    }
    for _ in 0..<warmupRuns { body() }
    let start = DispatchTime.now().uptimeNanoseconds
    while true {
        timeOnce()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if wall.count >= maximumRuns || (wall.count >= minimumRuns && elapsed >= minimumSeconds) { break }
    }
    return Timings(milliseconds: wall, cpuMilliseconds: cpu)
}

/// CPU time used so far by all threads of this process.
private func processCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
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
