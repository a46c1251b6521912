// Raw DEFLATE decoder (RFC 1951), our own (no zlib): stored, fixed and dynamic Huffman
// blocks, table-driven, over unsafe buffers. Every malformed stream throws; nothing traps.

/// A malformed or truncated compressed stream.
public enum InflateError: Error, Equatable, CustomStringConvertible {
    case corrupt(String)
    case truncated
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .corrupt(let reason): return "corrupt deflate data: \(reason)"
        case .truncated: return "the compressed data ends early"
        case .tooLarge(let limit): return "the data inflates to more than \(limit) bytes"
        }
    }
}

/// DEFLATE decompression.
public enum Inflate {
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
                                    115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
                                      1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
                                       12, 12, 13, 13]
    /// Order in which code-length code lengths are stored (RFC 1951 §3.2.7).
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Decompresses a raw DEFLATE stream.
    ///
    /// - Parameters:
    ///   - sizeHint: expected output size (for the first allocation only).
    ///   - limit: refuse to produce more than this many bytes (guards against bombs).
    /// - Returns: the bytes, and how many input bytes the stream used (for gzip/zlib trailers).
    public static func decompress(_ input: UnsafeRawBufferPointer, sizeHint: Int = 0,
                                  limit: Int = 1 << 31) throws -> (output: [UInt8], consumed: Int) {
        var bits = BitStream(input)
        var output = OutputBuffer(capacity: max(sizeHint, 1024), limit: limit)
        defer { output.deallocate() }
        var last = false
        while !last {
            last = try bits.read(1) == 1
            switch try bits.read(2) {
            case 0: try copyStored(&bits, &output)
            case 1: try inflateBlock(&bits, &output, HuffmanTable.fixedLiteralLength, HuffmanTable.fixedDistance)
            case 2:
                let (literals, distances) = try readDynamicTables(&bits)
                try inflateBlock(&bits, &output, literals, distances)
            default: throw InflateError.corrupt("block type 3 is reserved")
            }
        }
        let consumed = try bits.bytesConsumedAfterAligning()
        return (output.array(), consumed)
    }

    public static func decompress(_ input: [UInt8], sizeHint: Int = 0, limit: Int = 1 << 31) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, sizeHint: sizeHint, limit: limit).output }
    }

    private static func copyStored(_ bits: inout BitStream, _ output: inout OutputBuffer) throws {
        let bytes = try bits.takeAlignedBytes(4)
        let length = Int(bytes[0]) | Int(bytes[1]) << 8
        let complement = Int(bytes[2]) | Int(bytes[3]) << 8
        guard length == complement ^ 0xFFFF else { throw InflateError.corrupt("stored block length check fails") }
        try output.append(bits.takeAlignedBytes(length))
    }

    private static func readDynamicTables(_ bits: inout BitStream) throws -> (HuffmanTable, HuffmanTable) {
        let literalCount = try bits.read(5) + 257
        let distanceCount = try bits.read(5) + 1
        let codeLengthCount = try bits.read(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else {
            throw InflateError.corrupt("\(literalCount) literal/length or \(distanceCount) distance codes")
        }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for index in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[index]] = UInt8(try bits.read(3)) }
        let codeLengthTable = try HuffmanTable(codeLengths: codeLengthLengths)
        var lengths = [UInt8]()
        lengths.reserveCapacity(literalCount + distanceCount)
        while lengths.count < literalCount + distanceCount {
            let symbol = try bits.decode(codeLengthTable)
            switch symbol {
            case 0...15: lengths.append(UInt8(symbol))
            case 16:
                guard let previous = lengths.last else { throw InflateError.corrupt("repeat code with no previous length") }
                lengths += [UInt8](repeating: previous, count: 3 + (try bits.read(2)))
            case 17: lengths += [UInt8](repeating: 0, count: 3 + (try bits.read(3)))
            default: lengths += [UInt8](repeating: 0, count: 11 + (try bits.read(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount else {
            throw InflateError.corrupt("code lengths overrun the code count")
        }
        guard lengths[256] > 0 else { throw InflateError.corrupt("no end-of-block code") }
        return (try HuffmanTable(codeLengths: Array(lengths[0..<literalCount])),
                try HuffmanTable(codeLengths: Array(lengths[literalCount...])))
    }

    private static func inflateBlock(_ bits: inout BitStream, _ output: inout OutputBuffer,
                                     _ literals: HuffmanTable, _ distances: HuffmanTable) throws {
        try literals.entries.withUnsafeBufferPointer { literalTable in
            try distances.entries.withUnsafeBufferPointer { distanceTable in
                while true {
                    bits.refill()
                    let symbol = try bits.decode(literalTable)
                    if symbol < 256 {
                        try output.append(UInt8(truncatingIfNeeded: symbol))
                        continue
                    }
                    if symbol == 256 { break }
                    let lengthCode = symbol - 257
                    guard lengthCode < 29 else { throw InflateError.corrupt("length symbol \(symbol)") }
                    let length = lengthBase[lengthCode] + (try bits.read(lengthExtra[lengthCode]))
                    bits.refill()
                    let distanceCode = try bits.decode(distanceTable)
                    guard distanceCode < 30 else { throw InflateError.corrupt("distance symbol \(distanceCode)") }
                    let distance = distanceBase[distanceCode] + (try bits.read(distanceExtra[distanceCode]))
                    try output.copyMatch(distance: distance, length: length)
                }
            }
        }
    }
}
