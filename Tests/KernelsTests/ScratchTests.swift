// The per-thread scratch stack: aligned, disjoint while nested, reused after release, separate per thread.

import Dispatch
@testable import Kernels
import Testing

@Suite struct ScratchTests {
    @Test("nested scopes get disjoint, 64-byte aligned room")
    func nestedScopesAreDisjoint() {
        let outer = Scratch()
        defer { outer.release() }
        let a = outer.floats(13)
        a.initialize(repeating: 1)
        let inner = Scratch()
        let b = inner.floats(1 << 23)  // larger than the first block: lands in a new block
        let c = inner.take(7, of: Int32.self)
        for pointer in [UnsafeRawPointer(a.baseAddress!), UnsafeRawPointer(b.baseAddress!), UnsafeRawPointer(c.baseAddress!)] {
            #expect(Int(bitPattern: pointer) % 64 == 0)
        }
        b.initialize(repeating: 2)
        c.initialize(repeating: 3)
        #expect(a.allSatisfy { $0 == 1 }, "inner scopes overwrote the outer scope's room")
        #expect(b.allSatisfy { $0 == 2 })
        inner.release()
        let again = Scratch()
        defer { again.release() }
        let e = again.floats(1 << 23)
        #expect(e.baseAddress == b.baseAddress, "released room is not reused")
    }

    @Test("threads have their own stacks")
    func threadsHaveOwnStacks() {
        let starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
        defer { starts.deallocate() }
        let ready = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let shared = starts
        // Thread 1 holds its room until thread 2 has taken its own.
        DispatchQueue.global().async {
            let scope = Scratch()
            shared[0] = Int(bitPattern: scope.floats(100).baseAddress!)
            ready.signal()
            done.wait()
            scope.release()
        }
        ready.wait()
        let scope = Scratch()
        starts[1] = Int(bitPattern: scope.floats(100).baseAddress!)
        scope.release()
        done.signal()
        #expect(starts[0] != starts[1])
    }
}
