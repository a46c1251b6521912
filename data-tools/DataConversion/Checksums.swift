// Adler-32 (zlib streams, RFC 1950) and MD5 (RFC 1321; the official dataset archives publish
// MD5 sums). Plain Swift, no system libraries.

import Foundation

/// Adler-32 of a byte buffer.
public func adler32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var a: UInt32 = 1, b: UInt32 = 0
    var index = 0
    while index < bytes.count {
        let end = min(index + 5552, bytes.count)  // largest run before the sums can overflow 32 bits
        while index < end {
            a &+= UInt32(bytes[index])
            b &+= a
            index += 1
        }
        a %= 65521
        b %= 65521
    }
    return b << 16 | a
}

/// Incremental MD5: `var md5 = MD5(); md5.update(bytes); md5.hexDigest()`.
public struct MD5 {
    private static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                           5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                           4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                           6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    /// K[i] = floor(|sin(i + 1)| · 2^32).
    private static let constants: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    private var pending: [UInt8] = []
    private var length: UInt64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var index = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending += bytes[0..<take]
            index = take
            if pending.count == 64 {
                pending.withUnsafeBytes { process($0) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        while index + 64 <= bytes.count {
            process(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 64)]))
            index += 64
        }
        if index < bytes.count { pending += bytes[index...] }
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest as 32 lowercase hex digits (consumes a copy; `self` can keep going).
    public func hexDigest() -> String {
        var copy = self
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        while (copy.pending.count + tail.count) % 64 != 56 { tail.append(0) }
        for shift in stride(from: 0, to: 64, by: 8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let savedLength = copy.length
        copy.update(tail)
        copy.length = savedLength
        let words = [copy.state.0, copy.state.1, copy.state.2, copy.state.3]
        return words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(8 * $0)) } }
            .map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined()
    }

    private mutating func process(_ block: UnsafeRawBufferPointer) {
        var words = [UInt32](repeating: 0, count: 16)
        for index in 0..<16 { words[index] = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)) }
        var (a, b, c, d) = state
        for index in 0..<64 {
            var f: UInt32
            let g: Int
            switch index {
            case 0..<16: f = (b & c) | (~b & d); g = index
            case 16..<32: f = (d & b) | (~d & c); g = (5 * index + 1) % 16
            case 32..<48: f = b ^ c ^ d; g = (3 * index + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * index) % 16
            }
            f = f &+ a &+ Self.constants[index] &+ words[g]
            a = d
            d = c
            c = b
            let shift = Self.shifts[index]
            b = b &+ ((f << shift) | (f >> (32 - shift)))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}
