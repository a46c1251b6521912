// How `parallelFor` keeps every core busy to the end of a parallel loop. The workers of an outer
// loop (the tasks of a meta-batch) take its iterations one at a time; a worker that finds none left
// becomes idle and is lent to the nested loops (a kernel's chunks) of the iterations still running.
// Which thread runs which index never changes a result: every index writes its own memory.

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex. `withLock` runs a short critical section.
final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

/// One outer parallel loop: hands out its iterations and counts the workers that have run out of them.
/// Its state changes only under `lock`, so Swift's run-time exclusivity checks are skipped.
final class ParallelRegion: @unchecked Sendable {
    private let lock = Lock()
    private let count: Int
    @exclusivity(unchecked) private var next = 0
    @exclusivity(unchecked) private var idleWorkers = 0

    init(count: Int) { self.count = count }

    /// The next iteration to run, or nil when all are taken.
    func claim() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// Workers waiting to be lent (tests watch it).
    var idleCount: Int { lock.withLock { idleWorkers } }

    /// A worker found no iteration left (or a lent worker finished its nested loop).
    func becameIdle() { lock.withLock { idleWorkers += 1 } }

    /// Takes up to `wanted` idle workers for a nested loop; returns how many it got.
    func borrowIdle(upTo wanted: Int) -> Int {
        lock.withLock {
            let lent = min(wanted, idleWorkers)
            idleWorkers -= lent
            return lent
        }
    }

    // MARK: The region of the calling thread (thread-specific)

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The region whose iteration (or nested loop) this thread is running, or nil.
    static var current: ParallelRegion? {
        pthread_getspecific(key).map { Unmanaged<ParallelRegion>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with `region` as this thread's current region (the region stays alive meanwhile).
    static func run<T>(in region: ParallelRegion, _ body: () -> T) -> T {
        let saved = pthread_getspecific(key)
        pthread_setspecific(key, Unmanaged.passUnretained(region).toOpaque())
        defer { pthread_setspecific(key, saved) }
        return withExtendedLifetime(region) { body() }
    }
}

/// A nested loop shared between the thread that called `parallelFor` and workers borrowed from its
/// region. Every participant takes indices from one counter. The caller closes the loop once all
/// indices are taken and waits only for the helpers that joined before that; a helper that wakes
/// later leaves without touching `body`.
final class SharedLoop: @unchecked Sendable {
    private let lock = Lock()
    private let count: Int
    private let region: ParallelRegion
    @exclusivity(unchecked) private var next = 0  // these four change only under `lock`
    @exclusivity(unchecked) private var closed = false
    @exclusivity(unchecked) private var joined = 0
    /// The caller's `body`, valid until the caller has closed the loop and seen its helpers finish.
    @exclusivity(unchecked) private var body: UnsafePointer<@Sendable (Int) -> Void>?
    private let finished = DispatchSemaphore(value: 0)

    private init(count: Int, region: ParallelRegion) {
        self.count = count
        self.region = region
    }

    /// Runs `body(i)` for `i` in `0..<count` on the calling thread and `helpers` borrowed workers.
    static func run(_ count: Int, helpers: Int, region: ParallelRegion, _ body: @Sendable (Int) -> Void) {
        let loop = SharedLoop(count: count, region: region)
        withoutActuallyEscaping(body) { escapable in
            var stored = escapable
            withUnsafePointer(to: &stored) { pointer in
                loop.body = pointer
                for _ in 0..<helpers {
                    DispatchQueue.global().async { loop.help() }
                }
                loop.runIndices()
                let waitFor = loop.lock.withLock {
                    loop.closed = true
                    loop.body = nil
                    return loop.joined
                }
                for _ in 0..<waitFor { loop.finished.wait() }
            }
        }
    }

    /// A borrowed worker: joins unless the loop is already closed, runs indices, returns to idle
    /// (before the caller may go on, so the caller's next nested loop can borrow it again).
    private func help() {
        let joins = lock.withLock {
            if !closed { joined += 1 }
            return !closed
        }
        if joins { ParallelRegion.run(in: region) { runIndices() } }
        region.becameIdle()
        if joins { finished.signal() }
    }

    /// Takes indices until none are left. Only called while the loop is open (body is set).
    private func runIndices() {
        while let (index, body) = claim() {
            body.pointee(index)
        }
    }

    private func claim() -> (Int, UnsafePointer<@Sendable (Int) -> Void>)? {
        lock.withLock {
            guard next < count, let body else { return nil }
            defer { next += 1 }
            return (next, body)
        }
    }
}
