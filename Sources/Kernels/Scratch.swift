// Per-thread scratch memory for kernels: column matrices, packed panels, partial sums. Each thread
// keeps a stack of blocks it never returns, so a kernel called thousands of times per meta-iteration
// reuses the same warm pages instead of asking malloc for fresh ones (glibc hands worker threads
// pages it has given back to the system, and touching them again costs page faults).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Room taken from the calling thread's scratch stack and given back by `release()`:
///
///     let scratch = Scratch()
///     defer { scratch.release() }
///     let partials = scratch.floats(blocks * channels)   // uninitialized, 64-byte aligned
///
/// Scopes nest (a kernel that calls a kernel); memory must not be used after `release()`, and a
/// scope must be released on the thread that made it. Other threads may use the room meanwhile.
struct Scratch {
    private let stack = ScratchStack.current
    private let mark: (block: Int, used: Int)

    init() { mark = stack.mark }

    /// Room for `count` values of `T`, uninitialized.
    func take<T>(_ count: Int, of _: T.Type) -> UnsafeMutableBufferPointer<T> {
        let start = stack.take(max(1, count) * MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: max(1, count))
        return UnsafeMutableBufferPointer(start: start, count: count)
    }

    /// Room for `count` floats, uninitialized.
    func floats(_ count: Int) -> UnsafeMutableBufferPointer<Float> { take(count, of: Float.self) }

    /// Gives back everything taken since this scope began.
    func release() { stack.release(to: mark) }
}

/// One thread's scratch: blocks of growing size, used as a stack.
/// Only its own thread touches a stack, so the properties skip Swift's run-time exclusivity
/// checks (they cost more than the bump allocation itself).
final class ScratchStack {
    @exclusivity(unchecked) private var blocks: [(start: UnsafeMutableRawPointer, bytes: Int)] = []
    @exclusivity(unchecked) private var block = 0  // the block in use
    @exclusivity(unchecked) private var used = 0  // bytes of it in use

    /// The stack's top, to give back to `release(to:)`.
    var mark: (block: Int, used: Int) { (block, used) }

    /// `bytes` bytes on a 64-byte boundary: the rest of the current block, a later block, or a new one
    /// at least twice the size of the last (so a thread ends up with few blocks).
    func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        let size = (bytes + 63) & ~63
        while block < blocks.count {
            if used + size <= blocks[block].bytes {
                defer { used += size }
                return blocks[block].start + used
            }
            block += 1
            used = 0
        }
        let capacity = max(size, 1 << 22, 2 * (blocks.last?.bytes ?? 0))
        blocks.append((UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64), capacity))
        block = blocks.count - 1
        used = size
        return blocks[block].start
    }

    func release(to mark: (block: Int, used: Int)) {
        (block, used) = mark
    }

    deinit {
        for b in blocks { b.start.deallocate() }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in  // the thread ends: free its stack
            let stack: UnsafeMutableRawPointer? = pointer  // optional on Linux, not on Darwin
            if let stack { Unmanaged<ScratchStack>.fromOpaque(stack).release() }
        }
        return key
    }()

    /// The calling thread's stack, made on first use.
    static var current: ScratchStack {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<ScratchStack>.fromOpaque(pointer).takeUnretainedValue()
        }
        let stack = ScratchStack()
        pthread_setspecific(key, Unmanaged.passRetained(stack).toOpaque())
        return stack
    }
}
