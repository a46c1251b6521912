// `swift run -c release Benchmarks [--list] [name ...]`: runs all or the named benchmarks and prints
// one JSON line per result. To add a benchmark, write one file defining a `Benchmark` and list it below.

import Foundation
import Kernels

/// A named benchmark. `run` first checks its kernel against the reference (throwing
/// `BenchmarkFailure` when wrong), then times it and returns one result per measured case.
struct Benchmark: Sendable {
    let name: String
    let summary: String
    let run: @Sendable () throws -> [BenchmarkResult]
}

/// A kernel gave a wrong answer; the benchmark stops and the process exits with status 1.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

/// Every benchmark, in the order they run when no name is given.
let allBenchmarks: [Benchmark] = [
    gemm1024Benchmark,
    gemmConvBenchmark,
    gemmConvMaxPoolBenchmark,
    conv4GradBenchmark,
    conv4HVPBenchmark,
    samplerBenchmark,
] + metaStepBenchmarks + [tamlBenchmark]

@MainActor func printUsage() {
    print("usage: Benchmarks [--list] [name ...]   (no name runs every benchmark)")
    for benchmark in allBenchmarks { print("  \(benchmark.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(benchmark.summary)") }
}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    printUsage()
    exit(0)
}
if arguments.contains("--list") {
    for benchmark in allBenchmarks { print(benchmark.name) }
    exit(0)
}
if let flag = arguments.first(where: { $0.hasPrefix("-") }) {
    fail("Benchmarks: unknown option '\(flag)'. Use --list, --help, or benchmark names.", status: 2)
}
var selected: [Benchmark] = []
for name in arguments {
    guard let benchmark = allBenchmarks.first(where: { $0.name == name }) else {
        let known = allBenchmarks.map(\.name).joined(separator: ", ")
        fail("Benchmarks: unknown benchmark '\(name)'. Known benchmarks: \(known). Run with --list to see them.",
             status: 2)
    }
    selected.append(benchmark)
}
if selected.isEmpty { selected = allBenchmarks }

Memory.keepFreedTensorMemory()
let context = RunContext.current()
for benchmark in selected {
    do {
        for result in try benchmark.run() {
            print(result.jsonLine(context))
            fflush(nil)  // flush stdout now, so lines appear as results come in
        }
    } catch {
        fail("Benchmarks: \(benchmark.name) FAILED: \(error)", status: 1)
    }
}
