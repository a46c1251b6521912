// gzip (RFC 1952, all members, CRC-32 and size checked) and zlib (RFC 1950, Adler-32 checked)
// containers around our inflate.

import Datasets

/// gzip decompression: the IDX files of MNIST / Fashion-MNIST, the CIFAR tarball.
public enum Gzip {
    public static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses every member and concatenates them.
    public static func decompress(_ bytes: UnsafeRawBufferPointer, limit: Int = 1 << 33) throws -> [UInt8] {
        var output = [UInt8]()
        var offset = 0
        while offset < bytes.count {
            let member = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            guard member.count >= 18, isGzip(member) else {
                if offset > 0 && member.allSatisfy({ $0 == 0 }) { break }  // zero padding after the last member
                throw FormatError("not gzip data at byte \(offset) (expected 1F 8B)")
            }
            guard member[2] == 8 else { throw FormatError("gzip compression method \(member[2]) is not deflate") }
            let flags = member[3]
            var position = 10
            func need(_ count: Int) throws {
                guard count <= member.count - position else { throw FormatError("the gzip header is truncated") }
            }
            if flags & 0x04 != 0 {  // FEXTRA
                try need(2)
                let extra = Int(member[position]) | Int(member[position + 1]) << 8
                position += 2
                try need(extra)
                position += extra
            }
            for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
                while true {
                    try need(1)
                    position += 1
                    if member[position - 1] == 0 { break }
                }
            }
            if flags & 0x02 != 0 { try need(2); position += 2 }  // FHCRC
            let stream = UnsafeRawBufferPointer(rebasing: member[position...])
            let (data, consumed) = try Inflate.decompress(stream, limit: limit - output.count)
            position += consumed
            try need(8)
            let storedCRC = member.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
            let storedSize = member.loadUnaligned(fromByteOffset: position + 4, as: UInt32.self).littleEndian
            let crc = CRC32.checksum(data)
            guard crc == storedCRC else { throw FormatError("gzip CRC-32 mismatch (stored \(storedCRC), computed \(crc))") }
            guard UInt32(truncatingIfNeeded: data.count) == storedSize else {
                throw FormatError("gzip size mismatch (stored \(storedSize), got \(data.count))")
            }
            output += data
            offset += position + 8
        }
        return output
    }

    public static func decompress(_ bytes: [UInt8], limit: Int = 1 << 33) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try decompress($0, limit: limit) }
    }
}

/// zlib streams (PNG image data, compressed MATLAB variables).
public enum Zlib {
    public static func decompress(_ bytes: UnsafeRawBufferPointer, sizeHint: Int = 0, limit: Int = 1 << 31) throws -> [UInt8] {
        guard bytes.count >= 6 else { throw FormatError("the zlib stream is too short") }
        let cmf = Int(bytes[0]), flags = Int(bytes[1])
        guard cmf & 0x0F == 8, cmf >> 4 <= 7 else { throw FormatError("zlib method \(cmf & 0x0F) is not deflate") }
        guard (cmf * 256 + flags) % 31 == 0 else { throw FormatError("the zlib header check fails") }
        guard flags & 0x20 == 0 else { throw FormatError("zlib preset dictionaries are not supported") }
        let (data, consumed) = try Inflate.decompress(UnsafeRawBufferPointer(rebasing: bytes[2...]), sizeHint: sizeHint, limit: limit)
        guard bytes.count - 2 - consumed >= 4 else { throw FormatError("the zlib stream has no Adler-32 trailer") }
        let offset = 2 + consumed
        let stored = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
        let computed = data.withUnsafeBytes { adler32($0) }
        guard stored == computed else { throw FormatError("zlib Adler-32 mismatch") }
        return data
    }

    public static func decompress(_ bytes: [UInt8], sizeHint: Int = 0, limit: Int = 1 << 31) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try decompress($0, sizeHint: sizeHint, limit: limit) }
    }
}
