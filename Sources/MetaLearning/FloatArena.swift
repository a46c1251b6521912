// Scratch memory for code that makes many small buffers with one lifetime (one task's hand-derived
// meta-gradient): a bump allocator over a few large chunks, freed all at once.

/// Float buffers that all live until the arena is released. One arena per thread of work.
final class FloatArena {
    private var chunks: [UnsafeMutableBufferPointer<Float>] = []
    private var used = 0
    private let chunkSize: Int

    /// - Parameter chunkSize: floats per chunk; a larger request gets a chunk of its own size.
    init(chunkSize: Int = 16_384) {
        self.chunkSize = chunkSize
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    /// `count` floats with unspecified contents, for buffers that are written before they are read.
    func take(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        if chunks.isEmpty || used + count > chunks[chunks.count - 1].count {
            chunks.append(.allocate(capacity: max(chunkSize, count)))
            used = 0
        }
        defer { used += count }
        return UnsafeMutableBufferPointer(rebasing: chunks[chunks.count - 1][used..<(used + count)])
    }

    /// `count` zeros.
    func zeros(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        let buffer = take(count)
        buffer.update(repeating: 0)
        return buffer
    }

    /// A copy of `values`.
    func copy(_ values: UnsafeBufferPointer<Float>) -> UnsafeMutableBufferPointer<Float> {
        let buffer = take(values.count)
        _ = buffer.initialize(fromContentsOf: values)
        return buffer
    }
}
