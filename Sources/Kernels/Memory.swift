// Allocator tuning for large tensors (Linux/glibc), and the process's peak memory. Every op returns a
// new array; glibc serves blocks over 128 KiB with mmap and returns them with munmap, so each large
// tensor costs fresh, zero-filled pages (page faults). Raising the thresholds keeps freed blocks for
// reuse, and one arena for all threads stops worker threads' arenas from unmapping empty heaps.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Memory {
    /// Keeps freed large blocks in the process for reuse, in one arena shared by all threads (glibc
    /// only; a no-op elsewhere).
    /// Executables call this once at start; it changes process-wide allocator settings, so the
    /// library never calls it on its own.
    public static func keepFreedTensorMemory() {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h>, which the Glibc module does not export; look it up.
        typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8  // M_TRIM_THRESHOLD, …
        _ = mallopt(mmapThreshold, 1 << 30)
        _ = mallopt(trimThreshold, Int32.max)
        // One arena for all threads: a worker thread's arena unmaps a heap as soon as it is empty,
        // so the next task's tensors fault in fresh pages again (W3: ~20k page faults a second).
        _ = mallopt(arenaMax, 1)
        #endif
    }

    /// The most memory this process has had resident at once so far, in bytes (the operating system's
    /// maximum resident set size, as `/usr/bin/time -v` reports it), or nil where it cannot be read.
    public static func peakResidentBytes() -> Int? {
        #if canImport(Glibc) || canImport(Darwin)
        var usage = rusage()
        #if canImport(Darwin)
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss)  // bytes on Darwin
        #else
        guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024  // KiB on Linux
        #endif
        #else
        return nil
        #endif
    }

    /// `peakResidentBytes` in MiB.
    public static func peakResidentMiB() -> Double? { peakResidentBytes().map { Double($0) / 1_048_576 } }
}
