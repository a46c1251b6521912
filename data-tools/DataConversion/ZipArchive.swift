// Zip archive reader (PKWARE APPNOTE): the central directory lists the entries; each entry is
// stored or deflated, and its CRC-32 and sizes are checked. No zip64, no encryption.

import Datasets
import Foundation

/// A zip file held in memory (mapped), with its central directory parsed.
public struct ZipArchive {
    public struct Entry: Sendable {
        public var name: String
        public var method: Int
        public var compressedSize: Int
        public var uncompressedSize: Int
        public var crc32: UInt32
        public var localHeaderOffset: Int
        public var isDirectory: Bool { name.hasSuffix("/") }
    }

    public let data: Data
    public let entries: [Entry]
    /// Files only (no directory entries), in central-directory order.
    public let files: [Entry]

    public init(contentsOf url: URL) throws {
        try self.init(data: Data(contentsOf: url, options: .alwaysMapped))
    }

    public init(data: Data) throws {
        self.data = data
        entries = try data.withUnsafeBytes { try Self.readCentralDirectory($0) }
        files = entries.filter { !$0.isDirectory }
    }

    private static func readCentralDirectory(_ bytes: UnsafeRawBufferPointer) throws -> [Entry] {
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // End of central directory: signature 50 4B 05 06, within the last 22 + 65535 bytes.
        guard bytes.count >= 22 else { throw FormatError("too short to be a zip archive") }
        var end = -1
        var at = bytes.count - 22
        while at >= max(0, bytes.count - 22 - 65_535) {
            if u32(at) == 0x0605_4B50 { end = at; break }
            at -= 1
        }
        guard end >= 0 else { throw FormatError("no zip end-of-central-directory record (not a zip file?)") }
        let count = u16(end + 10), size = u32(end + 12), start = u32(end + 16)
        guard count != 0xFFFF, start != 0xFFFF_FFFF else { throw FormatError("zip64 archives are not supported") }
        guard start + size <= end else { throw FormatError("the zip central directory lies outside the file") }
        var entries = [Entry]()
        entries.reserveCapacity(count)
        var position = start
        for index in 0..<count {
            guard position + 46 <= end, u32(position) == 0x0201_4B50 else {
                throw FormatError("zip central directory entry \(index) is damaged")
            }
            let flags = u16(position + 8), method = u16(position + 10)
            let nameLength = u16(position + 28), extraLength = u16(position + 30), commentLength = u16(position + 32)
            guard position + 46 + nameLength <= end else { throw FormatError("zip entry \(index) name runs past the directory") }
            guard flags & 1 == 0 else { throw FormatError("zip entry \(index) is encrypted") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(position + 46)..<(position + 46 + nameLength)]),
                              as: UTF8.self)
            entries.append(Entry(name: name, method: method, compressedSize: u32(position + 20),
                                 uncompressedSize: u32(position + 24), crc32: UInt32(u32(position + 16)),
                                 localHeaderOffset: u32(position + 42)))
            position += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    /// The uncompressed bytes of `entry`, CRC-checked.
    public func contents(of entry: Entry) throws -> [UInt8] {
        try data.withUnsafeBytes { bytes -> [UInt8] in
            let local = entry.localHeaderOffset
            guard local + 30 <= bytes.count,
                  bytes.loadUnaligned(fromByteOffset: local, as: UInt32.self).littleEndian == 0x0403_4B50 else {
                throw FormatError("zip entry \(entry.name): damaged local header")
            }
            let nameLength = Int(bytes[local + 26]) | Int(bytes[local + 27]) << 8
            let extraLength = Int(bytes[local + 28]) | Int(bytes[local + 29]) << 8
            let start = local + 30 + nameLength + extraLength
            guard start + entry.compressedSize <= bytes.count else { throw FormatError("zip entry \(entry.name) is truncated") }
            let compressed = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + entry.compressedSize)])
            let output: [UInt8]
            switch entry.method {
            case 0: output = Array(compressed)
            case 8:
                output = try Inflate.decompress(compressed, sizeHint: entry.uncompressedSize,
                                                limit: entry.uncompressedSize).output
            default: throw FormatError("zip entry \(entry.name) uses compression method \(entry.method) (only stored and deflate)")
            }
            guard output.count == entry.uncompressedSize else {
                throw FormatError("zip entry \(entry.name): \(output.count) bytes, directory says \(entry.uncompressedSize)")
            }
            guard CRC32.checksum(output) == entry.crc32 else { throw FormatError("zip entry \(entry.name): CRC-32 mismatch") }
            return output
        }
    }
}
