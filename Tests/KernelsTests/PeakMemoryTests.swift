// `Memory.peakResidentBytes`: the process's maximum resident set, which the benchmarks and `train` report,
// and `Memory.restartPeakMeasurement`, which starts a new peak for each benchmark.

import Kernels
import Testing
#if canImport(Glibc)
import Glibc
#endif

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

    #if os(Linux) && canImport(Glibc)
    /// In a process of its own (other tests would move the peak): 256 MiB touched in 32 MiB blocks and
    /// freed into a heap that keeps freed memory (as the executables set it up) leave the peak over
    /// 256 MiB; after a restart it is back under 128 MiB, because the free memory went back to the system.
    @Test func restartForgetsAFreedPeak() async {
        await #expect(processExitsWith: .success) {
            Memory.keepFreedTensorMemory()
            let (blockSize, count) = (32 << 20, 8)
            var blocks: [UnsafeMutableRawPointer] = []
            for _ in 0..<count {
                guard let block = malloc(blockSize) else { exit(2) }
                for offset in stride(from: 0, to: blockSize, by: 4096) {
                    block.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
                }
                blocks.append(block)
            }
            for block in blocks { free(block) }
            guard let peak = Memory.peakResidentBytes(), peak >= blockSize * count else { exit(3) }
            guard Memory.restartPeakMeasurement() else { exit(4) }
            guard let restarted = Memory.peakResidentBytes(), restarted < 128 << 20 else { exit(5) }
            exit(0)
        }
    }
    #endif
}
