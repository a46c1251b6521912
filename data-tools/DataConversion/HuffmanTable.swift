// Canonical Huffman decoding tables for inflate (RFC 1951 §3.2.2), two-level: a 10-bit
// primary table indexed by the next input bits (LSB first) and sub-tables for longer codes.

/// A table-driven decoder for one canonical Huffman code (code lengths 1...15).
///
/// Entry layout (UInt32): `symbol << 16 | kind << 8 | bits`. kind 0: a symbol whose code has
/// `bits` bits; kind 1: a link to a sub-table at `symbol` indexed by `bits` more bits;
/// kind 2: no code has these bits (corrupt stream).
struct HuffmanTable {
    static let primaryBits = 10
    static let kindSymbol: UInt32 = 0, kindLink: UInt32 = 1, kindInvalid: UInt32 = 2
    static let invalidEntry: UInt32 = kindInvalid << 8

    private(set) var entries: [UInt32]

    /// Builds the table from code lengths (0 = symbol unused).
    ///
    /// - Throws: `InflateError` if the lengths over-subscribe the code space. Incomplete codes
    ///   are allowed (RFC 1951 permits one-code distance trees); their unused bit patterns are
    ///   rejected when met.
    init(codeLengths lengths: [UInt8]) throws {
        let primary = Self.primaryBits
        var countPerLength = [Int](repeating: 0, count: 16)
        for length in lengths where length > 0 { countPerLength[Int(length)] += 1 }
        var left = 1
        for length in 1...15 {
            left = left * 2 - countPerLength[length]
            if left < 0 { throw InflateError.corrupt("a Huffman code is over-subscribed") }
        }
        // First canonical code of each length (MSB-first numbering).
        var nextCode = [Int](repeating: 0, count: 16)
        var code = 0
        for length in 1...15 {
            code = (code + countPerLength[length - 1]) << 1
            nextCode[length] = code
        }
        countPerLength[0] = 0
        // Codes, bit-reversed so the table is indexed by bits in stream order.
        var reversedCodes = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length > 0 {
            let length = Int(length)
            reversedCodes[symbol] = Self.reverse(nextCode[length], bits: length)
            nextCode[length] += 1
        }
        // Sub-table sizes: the longest code below each primary slot.
        let primarySize = 1 << primary
        var subBits = [Int](repeating: 0, count: primarySize)
        for (symbol, length) in lengths.enumerated() where Int(length) > primary {
            let slot = reversedCodes[symbol] & (primarySize - 1)
            subBits[slot] = max(subBits[slot], Int(length) - primary)
        }
        var table = [UInt32](repeating: Self.invalidEntry, count: primarySize)
        for slot in 0..<primarySize where subBits[slot] > 0 {
            table[slot] = UInt32(table.count) << 16 | Self.kindLink << 8 | UInt32(subBits[slot])
            table += [UInt32](repeating: Self.invalidEntry, count: 1 << subBits[slot])
        }
        for (symbol, length) in lengths.enumerated() where length > 0 {
            let length = Int(length), reversed = reversedCodes[symbol]
            let entry = UInt32(symbol) << 16 | Self.kindSymbol << 8 | UInt32(length)
            if length <= primary {
                var index = reversed
                while index < primarySize {
                    table[index] = entry
                    index += 1 << length
                }
            } else {
                let slot = reversed & (primarySize - 1)
                let base = Int(table[slot] >> 16), bits = subBits[slot]
                var index = reversed >> primary
                while index < 1 << bits {
                    table[base + index] = entry
                    index += 1 << (length - primary)
                }
            }
        }
        entries = table
    }

    static func reverse(_ code: Int, bits: Int) -> Int {
        var result = 0, value = code
        for _ in 0..<bits {
            result = (result << 1) | (value & 1)
            value >>= 1
        }
        return result
    }

    /// The fixed literal/length code of block type 1.
    static let fixedLiteralLength: HuffmanTable = {
        var lengths = [UInt8](repeating: 8, count: 288)
        for symbol in 144..<256 { lengths[symbol] = 9 }
        for symbol in 256..<280 { lengths[symbol] = 7 }
        return try! HuffmanTable(codeLengths: lengths)  // a valid, complete code
    }()

    /// The fixed distance code of block type 1 (30 used symbols of 5 bits, plus 2 invalid).
    static let fixedDistance: HuffmanTable = try! HuffmanTable(codeLengths: [UInt8](repeating: 5, count: 32))
}
