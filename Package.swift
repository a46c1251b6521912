// swift-tools-version: 6.0
//
// MetaLearn: few-shot meta-learning in pure Swift. No package dependencies:
// Foundation and Dispatch only.

import PackageDescription

#if canImport(Foundation)
import Foundation
#endif

// MARK: - Vector code generation
//
// The kernels are written with `SIMD8<Float>` and `addingProduct` (fused multiply-add).
// For the generic x86-64 target, LLVM lowers every FMA lane to a `fmaf` library call,
// measured about 70x slower than AVX2+FMA code. So on x86-64 the manifest, which runs on the
// build machine, asks for the `haswell` CPU (AVX2 + FMA, the x86-64-v3 level) when the build
// machine has both features, for `skylake-avx512` (and defines METALEARN_AVX512: the GEMM's 6×32 zmm
// tiles, Sources/Kernels/MatMulPanelPair.swift) when it also has AVX-512 F/CD/BW/DQ/VL, and keeps the
// generic target otherwise. On arm64, NEON (with FMA)
// is part of the baseline and needs no flag.
//
// `-fno-math-errno` (for the C declarations the standard library's `squareRoot()` goes through)
// lets `SIMD8<Float>.squareRoot()` become one `vsqrtps`: with errno kept, each lane was a
// scalar square root with a branch to libm's `sqrtf` for negative inputs, and the divisions around it
// were split into lanes too (Adam's step ran 8 scalar roots per vector). The root is IEEE's
// correctly rounded one either way; only errno, which Swift never reads, is no longer set. (x86-64
// only, where the target CPU already needs unsafe flags; Apple's libm never sets errno anyway.)
//
// METALEARN_TARGET_CPU overrides the choice: `x86-64` builds a portable (slower) binary,
// `native` or any LLVM CPU name targets that CPU. The kernels fuse their multiply-adds (the
// METALEARN_REQUIRES_AVX2 define) only for a CPU known to have AVX2 and FMA: `native` on such a build
// machine, or a name in `fusingCPUs`; other names get that CPU's vector code with separate multiplies
// and adds. A binary that requires AVX2+FMA refuses to start on a CPU without them with a clear
// message (see `CPUFeatures.swift`) instead of crashing on an illegal instruction. A chosen target
// also sets METALEARN_TARGET_CPU_CHOSEN, which silences the note about slower builds.
//
// SwiftPM refuses a dependency resolved by version whose targets have unsafe flags ("the target
// 'Kernels' in product 'MetaLearn' contains unsafe build flags"). So a tagged checkout among another
// package's checkouts takes no flags: its kernels build for the generic target, multiply and add
// instead of fusing (Sources/Kernels/MultiplyAdd.swift), and the depending package can pass the
// flags on its own command line (README, "Vector code on every CPU").
/// LLVM's names of x86-64 CPUs with AVX2 and FMA.
let fusingCPUs: Set<String> = [
    "x86-64-v3", "x86-64-v4", "haswell", "broadwell", "skylake", "skylake-avx512", "cascadelake",
    "cooperlake", "cannonlake", "icelake-client", "icelake-server", "tigerlake", "rocketlake", "alderlake",
    "raptorlake", "meteorlake", "arrowlake", "arrowlake-s", "lunarlake", "pantherlake", "gracemont",
    "sierraforest", "grandridge", "clearwaterforest", "sapphirerapids", "emeraldrapids", "graniterapids",
    "graniterapids-d", "diamondrapids", "bdver4", "znver1", "znver2", "znver3", "znver4", "znver5",
]

/// LLVM's names of x86-64 CPUs with AVX-512 (F, CD, BW, DQ, VL): the kernels' 6×32 tiles use zmm registers.
let avx512CPUs: Set<String> = [
    "skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client", "icelake-server", "tigerlake",
    "rocketlake", "sapphirerapids", "emeraldrapids", "graniterapids", "graniterapids-d", "diamondrapids",
    "znver4", "znver5",
]
/// The /proc/cpuinfo flags an AVX-512 build needs.
let avx512Flags: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

func vectorSettings() -> [SwiftSetting] {
    #if arch(x86_64)
    var cpu = "x86-64"
    var fuses = false
    var wide = false
    var chosen = false
    #if canImport(Foundation)
    let directory = Context.packageDirectory
    let inCheckouts = directory.contains("/checkouts/") || directory.contains("\\checkouts\\")
    let isVersionedDependency = inCheckouts && Context.gitInformation?.currentTag != nil
    let buildMachineFlags: Set<String>? = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return Set(flags.split(separator: " ").map(String.init))
    }()
    #if os(macOS)
    let buildMachineFuses = true  // every Intel Mac that runs a Swift 6 toolchain has AVX2 + FMA
    #else
    let buildMachineFuses = buildMachineFlags.map { $0.isSuperset(of: ["avx2", "fma"]) } ?? false
    #endif
    let buildMachineIsWide = buildMachineFuses && (buildMachineFlags.map { $0.isSuperset(of: avx512Flags) } ?? false)
    if isVersionedDependency {
        return []
    } else if let name = ProcessInfo.processInfo.environment["METALEARN_TARGET_CPU"], !name.isEmpty {
        (cpu, chosen) = (name, true)
        fuses = name == "native" ? buildMachineFuses : fusingCPUs.contains(name)
        wide = name == "native" ? buildMachineIsWide : avx512CPUs.contains(name)
    } else if buildMachineIsWide {
        (cpu, fuses, wide) = ("skylake-avx512", true, true)
    } else if buildMachineFuses {
        (cpu, fuses) = ("haswell", true)
    }
    #endif
    var settings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", cpu, "-Xcc", "-fno-math-errno"])]
    if fuses { settings.append(.define("METALEARN_REQUIRES_AVX2")) }
    if wide { settings.append(.define("METALEARN_AVX512")) }
    if chosen { settings.append(.define("METALEARN_TARGET_CPU_CHOSEN")) }
    return settings
    #else
    return []  // no unsafe flags, so the package stays usable as a dependency (arm64 Linux keeps errno)
    #endif
}

let vector = vectorSettings()

let package = Package(
    name: "MetaLearn",
    products: [
        .library(name: "MetaLearn", targets: ["Kernels", "Autodiff", "NN", "MetaLearning", "Datasets", "Randomness"]),
        .executable(name: "metalearn", targets: ["metalearn"]),
        .executable(name: "metalearn-data", targets: ["metalearn-data"]),
        .executable(name: "Benchmarks", targets: ["Benchmarks"]),
    ],
    targets: [
        // MARK: - Library (one-way imports: Kernels ← Autodiff ← NN ← MetaLearning)
        .target(name: "Kernels", exclude: ["README.md"], swiftSettings: vector),
        .target(name: "Autodiff", dependencies: ["Kernels"], swiftSettings: vector),
        .target(name: "NN", dependencies: ["Autodiff"], swiftSettings: vector),
        .target(name: "MetaLearning", dependencies: ["NN", "Randomness"], swiftSettings: vector),
        .target(name: "Datasets", dependencies: ["Randomness"], swiftSettings: vector),
        // The one seeded generator (SplitMix64), shared by the samplers, TAML's noise and the tests.
        .target(name: "Randomness", swiftSettings: vector),
        .target(name: "DataConversion", dependencies: ["Datasets"], path: "data-tools/DataConversion", swiftSettings: vector),

        // MARK: - Executables
        .executableTarget(name: "metalearn", dependencies: ["MetaLearning", "Datasets", "Randomness"], swiftSettings: vector),
        .executableTarget(
            name: "metalearn-data", dependencies: ["Datasets", "DataConversion", "Kernels"], path: "data-tools/metalearn-data",
            swiftSettings: vector),
        .executableTarget(
            name: "Benchmarks", dependencies: ["MetaLearning", "Datasets", "Randomness"], path: "Benchmarks",
            exclude: ["RESULTS.md"], swiftSettings: vector),

        // MARK: - Test support
        .target(name: "TestSupport", dependencies: ["Autodiff", "Randomness"], swiftSettings: vector),

        // MARK: - Tests
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport", "Randomness"], swiftSettings: vector),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "NN", "MetaLearning", "TestSupport"], swiftSettings: vector),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "DataConversion", "Randomness"], swiftSettings: vector),
        .testTarget(name: "MetaLearningTests", dependencies: ["MetaLearning", "NN", "Autodiff", "TestSupport"], swiftSettings: vector),
        .testTarget(name: "MetaLearnCLITests", dependencies: ["metalearn", "Benchmarks", "MetaLearning", "Datasets"],
                    swiftSettings: vector),
    ]
)
