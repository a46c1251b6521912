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
        let stacks = UnsafeMutableBufferPointer<ObjectIdentifier?>.allocate(capacity: 1)
        stacks.initialize(repeating: nil)
        defer { stacks.deallocate() }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let shared = stacks
        DispatchQueue.global().async {  // another thread (this one waits below)
            shared[0] = ObjectIdentifier(ScratchStack.current)
            done.signal()
        }
        done.wait()
        #expect(stacks[0] != nil && stacks[0] != ObjectIdentifier(ScratchStack.current))
        #expect(ScratchStack.current === ScratchStack.current, "one thread gets one stack")
    }
}
