// `--quiet-gate GFLOPS`: on a shared machine, start each benchmark only once the machine is quiet.
// Before each benchmark a 1024³ GEMM probe runs, every 20 s, until it reaches GFLOPS; after the
// benchmark it runs once more. Both rates go into the benchmark's result lines, so a reader can keep
// the runs that started quiet and stayed quiet (the README's meta-iteration table is made that way).

import Foundation
import Kernels

struct QuietGate {
    /// The probe rate a benchmark waits for.
    let minimumGFLOPS: Double
    /// How long to wait for it before running anyway (the lines then say `"gate_passed": false`).
    var maximumWaitSeconds: Double = 1800
    /// Pause between probes while the machine is busy.
    var pauseSeconds: Double = 20
    /// Measures the machine now, in GFLOP/s: `gemmProbe`, unless a test gives another.
    var probe: () -> Double = QuietGate.gemmProbe

    /// The 1024³ GEMM's rate now, GFLOP/s: the median of 15 timed products after 2 untimed ones
    /// (about 0.3 s on 2 cores; independent of METALEARN_BENCHMARK_RUNS).
    static func gemmProbe() -> Double {
        let n = 1024
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var times: [Double] = []
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for run in 0..<17 {
                        let start = DispatchTime.now().uptimeNanoseconds
                        matmul(pa, pb, into: pc, m: n, n: n, k: n)
                        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                        if run >= 2 { times.append(seconds) }
                    }
                    blackHole(pc[0])
                }
            }
        }
        return 2 * Double(n * n * n) / medianOf(times) / 1e9
    }

    /// Probes until the rate reaches `minimumGFLOPS` or the wait runs out; returns the last rate
    /// and whether it reached the minimum.
    func waitForQuiet() -> (gflops: Double, passed: Bool) {
        let start = Date()
        while true {
            let rate = probe()
            if rate >= minimumGFLOPS { return (rate, true) }
            if Date().timeIntervalSince(start) + pauseSeconds > maximumWaitSeconds { return (rate, false) }
            Thread.sleep(forTimeInterval: pauseSeconds)
        }
    }

    /// Runs `body` once the machine is quiet and adds the probes to each of its results.
    func run(_ body: () throws -> [BenchmarkResult]) rethrows -> [BenchmarkResult] {
        let before = waitForQuiet()
        var results = try body()
        let after = probe()
        for index in results.indices {
            results[index].add("probe_before_gflops", .number(before.gflops))
            results[index].add("probe_after_gflops", .number(after))
            results[index].add("gate_passed", .boolean(before.passed))
        }
        return results
    }
}
