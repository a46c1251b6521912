// The benchmark tool's command line: bad flags exit with status 2 and say what to do. (A passing
// `--quiet-gate` probes a 1024³ GEMM, too slow for a debug build; it is exercised by hand.)

import Foundation
import Testing

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
