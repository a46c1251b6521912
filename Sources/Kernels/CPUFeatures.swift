// Refuses, with a clear message, to run AVX2+FMA (or AVX-512) code on a CPU without those features.
// Package.swift builds for `haswell` (x86-64-v3) when the build machine has AVX2 and FMA, and for
// `skylake-avx512` when it also has AVX-512; such a binary copied to an older x86-64 CPU would die on
// an illegal instruction instead.

#if canImport(Glibc)
import Glibc
#endif

public enum CPUFeatures {
    /// The instruction-set level this binary was compiled for.
    public static var compiledTarget: String {
        #if METALEARN_AVX512 && METALEARN_TARGET_CPU_CHOSEN
        return "x86-64 with AVX-512 + FMA (the CPU METALEARN_TARGET_CPU named)"
        #elseif METALEARN_AVX512
        return "x86-64 with AVX-512 + FMA (skylake-avx512)"
        #elseif METALEARN_REQUIRES_AVX2 && METALEARN_TARGET_CPU_CHOSEN
        return "x86-64 with AVX2 + FMA (the CPU METALEARN_TARGET_CPU named)"
        #elseif METALEARN_REQUIRES_AVX2
        return "x86-64 with AVX2 + FMA (haswell)"
        #elseif arch(x86_64) && METALEARN_TARGET_CPU_CHOSEN
        return "x86-64 for the CPU METALEARN_TARGET_CPU named, multiplies and adds not fused (slower vector code)"
        #elseif arch(x86_64)
        return "generic x86-64 (SSE2 only: slower vector code)"
        #elseif arch(arm64)
        return "arm64 (NEON)"
        #else
        return "generic"
        #endif
    }

    /// nil when this binary can run on this CPU; otherwise what is wrong and what to do.
    public static func unsupportedReason() -> String? {
        #if METALEARN_REQUIRES_AVX2 && os(Linux)
        guard let flags = cpuFlags() else { return nil }  // cannot tell: let it run
        #if METALEARN_AVX512
        return unsupportedReason(required: ["avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"],
                                 named: "AVX-512", cpuFlags: flags)
        #else
        return unsupportedReason(required: ["avx2", "fma"], named: "AVX2 and FMA", cpuFlags: flags)
        #endif
        #else
        return nil
        #endif
    }

    /// nil when `cpuFlags` has every `required` feature; otherwise what is missing and what to do.
    static func unsupportedReason(required: [String], named: String, cpuFlags: Set<String>) -> String? {
        let missing = required.filter { !cpuFlags.contains($0) }
        if missing.isEmpty { return nil }
        return "This MetaLearn binary was built for CPUs with \(named), but this CPU lacks "
            + missing.joined(separator: ", ")
            + ". Rebuild on this machine (swift build -c release detects the CPU), or build a portable "
            + "binary with METALEARN_TARGET_CPU=x86-64 swift build -c release (much slower vector code)."
    }

    /// nil unless this build multiplies and adds (generic x86-64) on a CPU that could fuse them, and its
    /// target was not chosen on purpose with METALEARN_TARGET_CPU: then how much faster a rebuild would
    /// be and how to make it.
    public static func slowBuildAdvice() -> String? {
        #if arch(x86_64) && os(Linux)
        #if METALEARN_TARGET_CPU_CHOSEN
        let chosen = true
        #else
        let chosen = false
        #endif
        return slowBuildAdvice(fused: multiplyAddIsFused, targetChosen: chosen, cpuFlags: cpuFlags())
        #else
        return nil
        #endif
    }

    /// `slowBuildAdvice` for a given build and CPU (tests pass both).
    static func slowBuildAdvice(fused: Bool, targetChosen: Bool = false, cpuFlags: Set<String>?) -> String? {
        guard !fused, !targetChosen, let cpuFlags, cpuFlags.isSuperset(of: ["avx2", "fma"]) else { return nil }
        return "this build's kernels target generic x86-64, but this CPU has AVX2 and FMA: a GEMM runs about 3× "
            + "faster when built for it. Build with a plain swift build -c release in MetaLearn's checkout, or, "
            + "in a package that depends on MetaLearn by version, pass -Xswiftc -target-cpu -Xswiftc haswell "
            + "-Xswiftc -DMETALEARN_REQUIRES_AVX2 (README, \"Vector code on every CPU\")."
    }

    #if os(Linux)
    /// The `flags` line of /proc/cpuinfo, split into words.
    static func cpuFlags() -> Set<String>? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                return Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
            }
        }
        return nil
    }
    #endif
}
