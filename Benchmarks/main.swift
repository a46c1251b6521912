// `swift run -c release Benchmarks [--list] [--quiet-gate GFLOPS] [--profile-products] [name ...]`: runs all or the named
// benchmarks (a name given twice runs twice) and prints one JSON line per result. To add a benchmark,
// write one file defining a `Benchmark` and list it below.

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
    print("usage: Benchmarks [--list] [--quiet-gate GFLOPS] [--profile-products] [name ...]   (no name runs every benchmark)")
    print("  --quiet-gate GFLOPS  before each benchmark, probe a 1024³ GEMM every 20 s until it reaches")
    print("                       GFLOPS (at most 30 min), probe again after it, and add both rates to its lines")
    print("  --profile-products   after each benchmark, print to standard error the matrix products it ran:")
    print("                       calls, share of the time and rate per shape (timing each call costs a little)")
    for benchmark in allBenchmarks { print("  \(benchmark.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(benchmark.summary)") }
}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(status)
}

if let reason = CPUFeatures.unsupportedReason() {  // before any vector code runs
    FileHandle.standardError.write(Data(("Benchmarks: " + reason + "\n").utf8))
    exit(2)
}
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    printUsage()
    exit(0)
}
if arguments.contains("--list") {
    for benchmark in allBenchmarks { print(benchmark.name) }
    exit(0)
}
var gate: QuietGate? = nil
if let position = arguments.firstIndex(of: "--quiet-gate") {
    let value = position + 1 < arguments.count ? Double(arguments[position + 1]) : nil
    guard let value, value > 0, value.isFinite else {
        fail("Benchmarks: --quiet-gate needs a rate in GFLOP/s, e.g. --quiet-gate 165 (gemm-1024 reaches 170–176 on a quiet 2-core EPYC).",
             status: 2)
    }
    gate = QuietGate(minimumGFLOPS: value)
    arguments.removeSubrange(position...(position + 1))
}
let profileProducts = arguments.contains("--profile-products")
arguments.removeAll { $0 == "--profile-products" }
if let flag = arguments.first(where: { $0.hasPrefix("-") }) {
    fail("Benchmarks: unknown option '\(flag)'. Use --list, --help, --quiet-gate GFLOPS, --profile-products, or benchmark names.",
         status: 2)
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

if let advice = CPUFeatures.slowBuildAdvice() {
    FileHandle.standardError.write(Data(("Benchmarks: note: " + advice + "\n").utf8))
}
Memory.keepFreedTensorMemory()
let context = RunContext.current()
ProductProfile.isEnabled = profileProducts
for benchmark in selected {
    do {
        ProductProfile.reset()
        // Each benchmark's lines report its own peak memory (where the system can reset the peak).
        let measured: @Sendable () throws -> [BenchmarkResult] = {
            Memory.restartPeakMeasurement()
            return try benchmark.run()
        }
        for result in try gate.map({ try $0.run(measured) }) ?? measured() {
            print(result.jsonLine(context))
            fflush(nil)  // flush stdout now, so lines appear as results come in
        }
        if profileProducts {
            FileHandle.standardError.write(Data(productReport(benchmark.name, entries: ProductProfile.entries()).utf8))
        }
    } catch {
        fail("Benchmarks: \(benchmark.name) FAILED: \(error)", status: 1)
    }
}
