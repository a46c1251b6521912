// The benchmark tool: bad flags exit with status 2 and say what to do, and `--quiet-gate`'s logic
// runs on a scripted probe (the real one, a 1024³ GEMM, is too slow for a debug build).

import Foundation
import Testing
@testable import Benchmarks

@Suite("Benchmarks flags") struct BenchmarkFlagTests {
    @Test("bad flags and unknown benchmark names exit with status 2 and a message",
          arguments: [
              (["--quiet-gate"], "--quiet-gate needs a rate"),
              (["--quiet-gate", "fast", "W1"], "--quiet-gate needs a rate"),
              (["--quiet-gate", "-5", "W1"], "--quiet-gate needs a rate"),
              (["--gate", "165"], "unknown option '--gate'"),
              (["W9"], "unknown benchmark 'W9'"),
          ])
    func badArguments(arguments: [String], message: String) throws {
        let result = try #require(try runBinary(arguments, binary: "Benchmarks"), "the Benchmarks binary was not built")
        #expect(result.status == 2)
        #expect(result.error.contains(message), "stderr: \(result.error)")
        #expect(result.output.isEmpty)
    }

    @Test("--list prints the benchmark names, one per line")
    func list() throws {
        let result = try #require(try runBinary(["--list"], binary: "Benchmarks"), "the Benchmarks binary was not built")
        #expect(result.status == 0)
        let names = result.output.split(separator: "\n").map(String.init)
        #expect(["gemm-1024", "W1", "W2", "W2-FO", "W3", "W3-FO"].allSatisfy(names.contains))
    }
}

/// `QuietGate` with a scripted probe: it waits for the rate, gives up after its wait, and tags results.
@Suite("Benchmarks quiet gate") struct QuietGateTests {
    /// A probe that reads its rates from a list, one per call, then repeats the last.
    final class ScriptedProbe: @unchecked Sendable {
        var rates: [Double]
        var calls = 0
        init(_ rates: [Double]) { self.rates = rates }
        func next() -> Double {
            defer { calls += 1 }
            return rates[min(calls, rates.count - 1)]
        }
    }

    @Test("waits until a probe reaches the minimum")
    func waitsForQuiet() {
        let script = ScriptedProbe([120, 150, 171, 100])
        var gate = Benchmarks.QuietGate(minimumGFLOPS: 165, maximumWaitSeconds: 60, pauseSeconds: 0)
        gate.probe = script.next
        let (rate, passed) = gate.waitForQuiet()
        #expect(rate == 171 && passed)
        #expect(script.calls == 3)
    }

    @Test("gives up when the wait runs out, and says so")
    func givesUp() {
        let script = ScriptedProbe([120])
        var gate = Benchmarks.QuietGate(minimumGFLOPS: 165, maximumWaitSeconds: 0, pauseSeconds: 0)
        gate.probe = script.next
        let (rate, passed) = gate.waitForQuiet()
        #expect(rate == 120 && !passed)
        #expect(script.calls == 1)
    }

    @Test("adds the probes before and after to every result of the benchmark")
    func tagsResults() {
        let script = ScriptedProbe([170, 158])
        var gate = Benchmarks.QuietGate(minimumGFLOPS: 165, pauseSeconds: 0)
        gate.probe = script.next
        let results = gate.run { [Benchmarks.BenchmarkResult(benchmark: "a"), Benchmarks.BenchmarkResult(benchmark: "b")] }
        for result in results {
            let keys = result.fields.map(\.key)
            #expect(keys == ["benchmark", "probe_before_gflops", "probe_after_gflops", "gate_passed"])
            #expect(result.fields[1].value.encoded == "170" && result.fields[2].value.encoded == "158")
            #expect(result.fields[3].value.encoded == "true")
        }
    }
}
