// The two buffers inflate works on: an LSB-first bit reader over the input (zero-filled past
// the end, with the overrun detected), and a growable output with LZ77 match copies.

/// Reads bits least-significant first (RFC 1951 §3.1.1) from a byte buffer.
struct BitStream {
    let input: UnsafeRawBufferPointer
    var position = 0        // next input byte to load
    var buffer: UInt64 = 0  // loaded, unconsumed bits in the low `count` bits
    var count = 0
    var padding = 0         // zero bytes loaded past the end of the input

    init(_ input: UnsafeRawBufferPointer) { self.input = input }

    /// Tops the buffer up to at least 56 bits (zeros past the end of the input).
    @inline(__always) mutating func refill() {
        while count <= 56 {
            if position < input.count {
                buffer |= UInt64(input[position]) << UInt64(count)
                position += 1
            } else {
                padding += 1
            }
            count += 8
        }
    }

    /// Throws if bits beyond the end of the input have been consumed.
    @inline(__always) func checkOverrun() throws {
        if padding > 0 && count < padding * 8 { throw InflateError.truncated }
    }

    @inline(__always) mutating func read(_ bitCount: Int) throws -> Int {
        if bitCount == 0 { return 0 }
        if count < bitCount { refill() }
        let value = Int(truncatingIfNeeded: buffer & ((1 << UInt64(bitCount)) - 1))
        buffer >>= UInt64(bitCount)
        count -= bitCount
        try checkOverrun()
        return value
    }

    /// Decodes one symbol with a two-level table (needs ≤ 15 bits; refills itself if short).
    @inline(__always) mutating func decode(_ table: UnsafeBufferPointer<UInt32>) throws -> Int {
        if count < 15 { refill() }
        let primaryMask = UInt64((1 << HuffmanTable.primaryBits) - 1)
        var entry = table[Int(truncatingIfNeeded: buffer & primaryMask)]
        if (entry >> 8) & 0xFF == HuffmanTable.kindLink {
            let subMask = UInt64((1 << (entry & 0xFF)) - 1)
            let index = Int(entry >> 16) + Int(truncatingIfNeeded: (buffer >> UInt64(HuffmanTable.primaryBits)) & subMask)
            entry = table[index]
        }
        guard (entry >> 8) & 0xFF == HuffmanTable.kindSymbol else {
            throw InflateError.corrupt("a bit pattern matches no Huffman code")
        }
        let length = Int(entry & 0xFF)
        buffer >>= UInt64(length)
        count -= length
        try checkOverrun()
        return Int(entry >> 16)
    }

    mutating func decode(_ table: HuffmanTable) throws -> Int {
        try table.entries.withUnsafeBufferPointer { try decode($0) }
    }

    /// Drops bits up to the next byte boundary and gives unread whole bytes back to the input.
    mutating func alignToByte() throws {
        let drop = count % 8
        buffer >>= UInt64(drop)
        count -= drop
        try checkOverrun()
        let unread = count / 8 - padding  // real bytes still held in the buffer
        position -= unread
        buffer = 0
        count = 0
        padding = 0
    }

    /// Aligns, then returns the next `length` input bytes (stored blocks).
    mutating func takeAlignedBytes(_ length: Int) throws -> UnsafeRawBufferPointer {
        try alignToByte()
        guard length <= input.count - position else { throw InflateError.truncated }
        defer { position += length }
        return UnsafeRawBufferPointer(rebasing: input[position..<(position + length)])
    }

    /// Input bytes used so far, after skipping to the byte boundary ending the stream.
    mutating func bytesConsumedAfterAligning() throws -> Int {
        try alignToByte()
        return position
    }
}

/// A growable byte buffer for inflate output, with a hard size limit.
struct OutputBuffer {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    let limit: Int

    init(capacity: Int, limit: Int) {
        self.capacity = capacity
        self.limit = limit
        storage = .allocate(capacity: capacity)
    }

    func deallocate() { storage.deallocate() }

    private mutating func reserve(_ extra: Int) throws {
        let needed = count + extra
        guard needed <= limit else { throw InflateError.tooLarge(limit: limit) }
        if needed <= capacity { return }
        let newCapacity = min(max(needed, capacity * 2), max(limit, needed))
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: storage, count: count)
        storage.deallocate()
        storage = grown
        capacity = newCapacity
    }

    @inline(__always) mutating func append(_ byte: UInt8) throws {
        if count == capacity || count >= limit { try reserve(1) }
        storage[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        try reserve(bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            UnsafeMutableRawPointer(storage + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// Appends `length` bytes starting `distance` back (they may overlap what is being written).
    @inline(__always) mutating func copyMatch(distance: Int, length: Int) throws {
        guard distance <= count else { throw InflateError.corrupt("distance \(distance) reaches before the start") }
        try reserve(length)
        var source = count - distance
        for index in count..<(count + length) {
            storage[index] = storage[source]
            source += 1
        }
        count += length
    }

    func array() -> [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }
}
