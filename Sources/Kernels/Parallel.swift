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
    nonisolated(unsafe) public static var threads: Int = {
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
/// Nested calls run serially: when the tasks of a meta-batch already occupy the cores, splitting
/// each task's kernels again only adds scheduling overhead. Results do not change, because every
/// kernel's partition of work depends on the sizes alone.
public func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
    if count <= 0 { return }
    if count == 1 || Parallelism.threads <= 1 || ParallelRegion.isInside {
        for i in 0..<count { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: count) { i in
        ParallelRegion.enter()
        body(i)
        ParallelRegion.leave()
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

/// A per-thread flag: is this thread running an iteration of `parallelFor`?
enum ParallelRegion {
    /// One key for the process; the value is a non-nil marker while inside.
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    static var isInside: Bool { pthread_getspecific(key) != nil }
    static func enter() { pthread_setspecific(key, UnsafeMutableRawPointer(bitPattern: 1)) }
    static func leave() { pthread_setspecific(key, nil) }
}
