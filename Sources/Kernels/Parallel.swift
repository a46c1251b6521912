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
@inlinable
public func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
    if count <= 0 { return }
    if count == 1 || Parallelism.threads <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: count, execute: body)
}
