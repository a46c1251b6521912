// The one place where MetaLearn calls `DispatchQueue.concurrentPerform`.
// Work is split into a fixed number of chunks that does not depend on timing, so results
// are bit-identical whatever the thread count (each chunk writes its own disjoint output).

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Number of worker threads the kernels may use. Defaults to the active processor count;
/// set `METALEARN_THREADS` (or `Parallelism.threads`) to override it. 1 means serial.
public enum Parallelism {
    @exclusivity(unchecked) nonisolated(unsafe) public static var threads: Int = {
        if let text = getenv("METALEARN_THREADS").map({ String(cString: $0) }),
           let value = Int(text), value > 0 {
            return value
        }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()
}

/// Runs `body(i)` for `i` in `0..<count`, in parallel when `count > 1` and threads allow.
/// `body` must write only to memory that no other index writes.
///
/// An outer call runs `Parallelism.threads` workers that take indices in order. A nested call (from
/// inside an index) runs on its own thread while the outer loop keeps the other cores busy, and is
/// shared with the outer loop's idle workers once they run out of indices (`WorkSharing.swift`), so
/// the last tasks of a meta-batch still use every core. Results do not change, because every
/// kernel's partition of work depends on the sizes alone.
public func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
    parallelFor(count, threads: Parallelism.threads, body)
}

/// `parallelFor` with an outer call's worker count given (tests pass it instead of changing the
/// global `Parallelism.threads`). A nested call borrows its region's idle workers whatever `threads` is.
func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if count <= 0 { return }
    if count > 1, let region = ParallelRegion.current {  // nested: share it with idle workers, if any
        let helpers = region.borrowIdle(upTo: count - 1)
        if helpers > 0 {
            SharedLoop.run(count, helpers: helpers, region: region, body)
        } else {
            for i in 0..<count { body(i) }
        }
        return
    }
    if count == 1 || threads <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    let region = ParallelRegion(count: count)
    DispatchQueue.concurrentPerform(iterations: min(count, threads)) { _ in
        ParallelRegion.run(in: region) {
            while let i = region.claim() { body(i) }
        }
        region.becameIdle()
    }
}

/// `[body(0), body(1), …]` computed in parallel like `parallelFor`, returned in index order.
public func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    slots.initialize(repeating: nil)
    defer { slots.deinitialize(); slots.deallocate() }
    nonisolated(unsafe) let results = slots  // each index writes only its own slot
    parallelFor(count) { results[$0] = body($0) }
    return slots.map { $0! }
}
