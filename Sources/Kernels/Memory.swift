// Allocator tuning for large tensors (Linux/glibc), and the process's peak memory. Every op returns a
// new array; glibc serves blocks over 128 KiB with mmap and returns them with munmap, so each large
// tensor costs fresh, zero-filled pages (page faults). Raising the thresholds keeps freed blocks for
// reuse, and one arena for all threads stops worker threads' arenas from unmapping empty heaps.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
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

    /// The most memory this process has had resident at once since it started, or since the last
    /// `restartPeakMeasurement()` that returned true, in bytes (the figure `/usr/bin/time -v` reports as
    /// the maximum resident set size), or nil where it cannot be read.
    public static func peakResidentBytes() -> Int? {
        #if os(Linux)
        if let kibibytes = statusField("VmHWM:") { return kibibytes * 1024 }  // resettable, unlike getrusage's
        #endif
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

    /// Starts a new peak, so that `peakResidentBytes()` measures one job of a longer process (each
    /// benchmark of a `Benchmarks` run): gives the heap's free memory back to the system (glibc's
    /// `malloc_trim`, which `keepFreedTensorMemory` would otherwise hold on to) and resets the kernel's
    /// record of the peak to what is resident now (Linux 4.0 and later: "5" written to
    /// /proc/self/clear_refs). Memory still in use counts from the start.
    /// Returns false where the peak cannot be reset; it then stays the process's peak.
    @discardableResult
    public static func restartPeakMeasurement() -> Bool {
        #if os(Linux) && canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        }
        let file = open("/proc/self/clear_refs", O_WRONLY)
        guard file >= 0 else { return false }
        defer { close(file) }
        return write(file, "5", 1) == 1
        #else
        return false
        #endif
    }

    #if os(Linux)
    /// The number after `name` in /proc/self/status (sizes there are in KiB), or nil.
    private static func statusField(_ name: String) -> Int? {
        let file = open("/proc/self/status", O_RDONLY)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        let count = bytes.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return line.dropFirst(name.count).split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
    }
    #endif

    /// `peakResidentBytes` in MiB.
    public static func peakResidentMiB() -> Double? { peakResidentBytes().map { Double($0) / 1_048_576 } }
}
