// `Memory.peakResidentBytes`: the process's maximum resident set, which the benchmarks and `train` report.

import Kernels
import Testing

@Suite struct PeakMemoryTests {
    /// After 96 MiB of pages have been touched, the peak is at least that, in bytes (not KiB), and it
    /// never goes down. (Tests share the process, so the peak before may already be higher.)
    @Test func coversTouchedPagesInBytes() throws {
        let before = try #require(Memory.peakResidentBytes())
        #expect(before > 0)
        let size = 96 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        for offset in stride(from: 0, to: size, by: 4096) { buffer[offset] = 1 }
        let after = try #require(Memory.peakResidentBytes())
        #expect(after >= size)
        #expect(after >= before)
        #expect(buffer[size - 4096] == 1)  // the pages were really written
    }
}
