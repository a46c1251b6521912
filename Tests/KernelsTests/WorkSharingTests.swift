// parallelFor's work sharing: every index of outer and nested loops runs exactly once, and a worker
// that runs out of outer iterations joins the nested loops of the iterations still running.

import Dispatch
import Foundation
@testable import Kernels
import Testing

/// Per-index counters and thread marks; each index writes only its own slots.
private final class Record: @unchecked Sendable {
    let runs: UnsafeMutableBufferPointer<Int>
    let threads: UnsafeMutableBufferPointer<UInt>

    init(_ count: Int) {
        runs = .allocate(capacity: count)
        runs.initialize(repeating: 0)
        threads = .allocate(capacity: count)
        threads.initialize(repeating: 0)
    }

    deinit {
        runs.deallocate()
        threads.deallocate()
    }
}

/// Waits up to `seconds` for `condition`; returns whether it came true.
private func wait(seconds: Double, until condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(1000)
    }
    return true
}

@Suite struct WorkSharingTests {
    @Test("outer and nested indices each run once", arguments: [1, 2, 3])
    func everyIndexOnce(threads: Int) {
        let sizes = [1, 7, 0, 33, 2, 65, 13]  // nested loop sizes of the outer iterations
        let offsets = sizes.reduce(into: [0]) { $0.append($0.last! + $1) }
        let record = Record(offsets.last!)
        let outer = Record(sizes.count)
        parallelFor(sizes.count, threads: threads) { o in
            outer.runs[o] += 1
            parallelFor(sizes[o]) { i in
                usleep(UInt32(50 * (i % 3)))  // uneven items
                record.runs[offsets[o] + i] += 1
            }
        }
        #expect(Array(outer.runs) == Array(repeating: 1, count: sizes.count))
        #expect(Array(record.runs) == Array(repeating: 1, count: record.runs.count))
    }

    @Test("an idle worker joins the last outer iteration's nested loop")
    func idleWorkerJoins() {
        let record = Record(4)
        let joined = Record(1)  // runs[0] = 1 when more than one thread ran the nested loop
        parallelFor(2, threads: 2) { o in
            guard o == 1 else { return }  // iteration 0 ends at once; its worker becomes idle
            let region = ParallelRegion.current!
            guard wait(seconds: 10, until: { region.idleCount > 0 }) else { return }
            parallelFor(4) { i in
                record.threads[i] = UInt(bitPattern: Int(bitPattern: pthread_self()))
                // Item 0 holds the caller until a helper has taken another item (or 10 s pass).
                if i == 0 { _ = wait(seconds: 10, until: { (1..<4).contains { record.threads[$0] != 0 } }) }
            }
            joined.runs[0] = Set(record.threads).count > 1 ? 1 : 0
        }
        #expect(joined.runs[0] == 1, "the nested loop ran on one thread only")
    }

    @Test("with one thread nothing is shared")
    func serialWithOneThread() {
        let record = Record(8)
        parallelFor(2, threads: 1) { o in
            #expect(ParallelRegion.current == nil)
            parallelFor(4) { i in record.threads[o * 4 + i] = UInt(bitPattern: Int(bitPattern: pthread_self())) }
        }
        #expect(Set(record.threads).count == 1)
    }
}
