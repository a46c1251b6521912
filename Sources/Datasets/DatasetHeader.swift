// The header of a MetaLearn dataset file (format version 1): encoding and a parser that
// validates every field against the others and the file size. Byte table: data-tools/README.md.

import Foundation

/// Everything in a dataset file except the pixels.
///
/// Layout (little-endian): fixed part of 64 bytes, then the class table, zero padding to a
/// multiple of 64, then `N·H·W·C` pixel bytes, class by class, instance by instance, HWC.
public struct DatasetHeader: Equatable, Sendable {
    public static let magic: [UInt8] = [0x4D, 0x4C, 0x44, 0x53, 0x0D, 0x0A, 0x1A, 0x0A]  // "MLDS\r\n\u{1A}\n"
    public static let version: UInt32 = 1
    public static let fixedSize = 64
    public static let payloadAlignment = 64
    /// Limits that keep every size computation far from overflow.
    public static let maxSide = 65_536
    public static let maxChannels = 4
    public static let maxClasses = 10_000_000
    public static let maxNameBytes = Int(UInt16.max)

    public var height: Int
    public var width: Int
    public var channels: Int
    public var classNames: [String]
    public var instanceCounts: [Int]
    public var description: String
    public var payloadChecksum: UInt32

    public init(height: Int, width: Int, channels: Int, classNames: [String], instanceCounts: [Int],
                description: String, payloadChecksum: UInt32) {
        self.height = height
        self.width = width
        self.channels = channels
        self.classNames = classNames
        self.instanceCounts = instanceCounts
        self.description = description
        self.payloadChecksum = payloadChecksum
    }

    public var imageByteCount: Int { height * width * channels }
    public var totalInstances: Int { instanceCounts.reduce(0, +) }
    public var payloadByteCount: Int { totalInstances * imageByteCount }

    /// The bytes from offset 0 up to the payload (header CRC filled in, padding included).
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func put64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        var table: [UInt8] = []
        for count in instanceCounts { withUnsafeBytes(of: UInt32(count).littleEndian) { table += $0 } }
        let descriptionBytes = Array(description.utf8)
        withUnsafeBytes(of: UInt32(descriptionBytes.count).littleEndian) { table += $0 }
        table += descriptionBytes
        for name in classNames {
            let nameBytes = Array(name.utf8.prefix(Self.maxNameBytes))
            withUnsafeBytes(of: UInt16(nameBytes.count).littleEndian) { table += $0 }
            table += nameBytes
        }
        let headerLength = Self.fixedSize + table.count
        let payloadOffset = Self.aligned(headerLength)
        put32(Self.version)
        put32(UInt32(headerLength))
        put32(UInt32(height))
        put32(UInt32(width))
        put32(UInt32(channels))
        put32(UInt32(classNames.count))
        put64(UInt64(totalInstances))
        put64(UInt64(payloadOffset))
        put64(UInt64(payloadByteCount))
        put32(payloadChecksum)
        put32(0)  // header CRC, filled in below
        bytes += table
        let headerCRC = Self.headerChecksum(bytes)
        withUnsafeBytes(of: headerCRC.littleEndian) { raw in
            for k in 0..<4 { bytes[60 + k] = raw[k] }
        }
        bytes += [UInt8](repeating: 0, count: payloadOffset - headerLength)
        return bytes
    }

    static func aligned(_ offset: Int) -> Int {
        (offset + payloadAlignment - 1) / payloadAlignment * payloadAlignment
    }

    /// CRC-32 of the header bytes [0, 60) and [64, headerLength): the CRC field itself is skipped.
    static func headerChecksum(_ header: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: header[0..<60]))
        crc.update(UnsafeRawBufferPointer(rebasing: header[64...]))
        return crc.value
    }

    static func headerChecksum(_ header: [UInt8]) -> UInt32 {
        header.withUnsafeBytes { headerChecksum($0) }
    }
}
