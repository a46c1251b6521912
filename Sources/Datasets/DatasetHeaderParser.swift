// Validating parser for dataset file bytes. Whatever the bytes, it returns a header or throws
// a DatasetError; it never traps (all arithmetic is bounds- and overflow-checked). Fuzzed.

import Foundation

extension DatasetHeader {
    /// The result of parsing: the header and where the pixels start.
    public struct Parsed: Sendable {
        public var header: DatasetHeader
        public var payloadOffset: Int
    }

    /// Parses and validates a whole dataset file held in `file`.
    ///
    /// - Parameters:
    ///   - path: used in error messages only.
    ///   - verifyPayload: compute the payload CRC-32 and compare it (costs one pass over the pixels).
    ///   - verifyHeaderChecksum: `false` only lets the fuzzer reach the table parser.
    public static func parse(_ file: UnsafeRawBufferPointer, path: String, verifyPayload: Bool = true,
                             verifyHeaderChecksum: Bool = true) throws -> Parsed {
        var reader = HeaderReader(bytes: file, path: path)
        let size = file.count
        let magicPrefix = Array(file.prefix(magic.count))
        if magicPrefix != Array(magic.prefix(magicPrefix.count)) || magicPrefix.isEmpty {
            throw DatasetError.notADatasetFile(path: path, found: magicPrefix)
        }
        guard size >= 12 else { throw DatasetError.truncated(path: path, expectedBytes: fixedSize, actualBytes: size) }
        reader.offset = 8
        let foundVersion = try reader.u32()
        guard foundVersion == version else {
            throw DatasetError.unsupportedVersion(path: path, found: foundVersion, supported: version)
        }
        guard size >= fixedSize else {
            throw DatasetError.truncated(path: path, expectedBytes: fixedSize, actualBytes: size)
        }
        let headerLength = Int(try reader.u32())
        let height = Int(try reader.u32()), width = Int(try reader.u32()), channels = Int(try reader.u32())
        let classCount = Int(try reader.u32())
        let totalInstances = try reader.u64()
        let payloadOffset = try reader.u64(), payloadLength = try reader.u64()
        let payloadChecksum = try reader.u32(), storedHeaderChecksum = try reader.u32()

        func corrupt(_ reason: String) -> DatasetError { .corruptHeader(path: path, reason: reason) }
        guard (1...maxSide).contains(height), (1...maxSide).contains(width) else {
            throw corrupt("image size \(height)×\(width) is outside 1...\(maxSide)")
        }
        guard (1...maxChannels).contains(channels) else {
            throw corrupt("channel count \(channels) is outside 1...\(maxChannels)")
        }
        guard (1...maxClasses).contains(classCount) else {
            throw corrupt("class count \(classCount) is outside 1...\(maxClasses)")
        }
        let minimumHeader = fixedSize + 4 * classCount + 4 + 2 * classCount
        guard headerLength >= minimumHeader else {
            throw corrupt("header length \(headerLength) is below the \(minimumHeader) bytes that \(classCount) classes need")
        }
        guard headerLength <= size else {
            throw DatasetError.truncated(path: path, expectedBytes: headerLength, actualBytes: size)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[0..<headerLength])
        if verifyHeaderChecksum {
            let computed = headerChecksum(headerBytes)
            guard computed == storedHeaderChecksum else {
                throw DatasetError.checksumMismatch(path: path, part: "header", stored: storedHeaderChecksum,
                                                    computed: computed)
            }
        }

        // Class table: counts, description, names; it must end exactly at headerLength.
        reader = HeaderReader(bytes: headerBytes, path: path)
        reader.offset = fixedSize
        var counts = [Int]()
        counts.reserveCapacity(classCount)
        var sum = 0
        for index in 0..<classCount {
            let count = Int(try reader.u32())
            guard count >= 1 else {
                throw DatasetError.inconsistent(path: path, reason: "class \(index) has no instances")
            }
            counts.append(count)
            sum += count  // at most 1e7 · (2^32 − 1): cannot overflow Int
        }
        guard UInt64(sum) == totalInstances else {
            throw DatasetError.inconsistent(
                path: path, reason: "the per-class instance counts add up to \(sum), but the header says \(totalInstances)")
        }
        let descriptionText = try reader.utf8String(length: Int(try reader.u32()), what: "the description")
        var names = [String]()
        names.reserveCapacity(classCount)
        for index in 0..<classCount {
            names.append(try reader.utf8String(length: Int(try reader.u16()), what: "the name of class \(index)"))
        }
        guard reader.offset == headerLength else {
            throw DatasetError.inconsistent(
                path: path, reason: "the class table ends at byte \(reader.offset), but the header length is \(headerLength)")
        }

        // Payload geometry and file size.
        let expectedOffset = aligned(headerLength)
        guard payloadOffset == UInt64(expectedOffset) else {
            throw DatasetError.inconsistent(
                path: path, reason: "the payload offset is \(payloadOffset), expected \(expectedOffset)")
        }
        let imageBytes = height * width * channels  // ≤ 2^34: fits
        let (expectedLength, overflow) = sum.multipliedReportingOverflow(by: imageBytes)
        guard !overflow, payloadLength == UInt64(expectedLength) else {
            throw DatasetError.inconsistent(
                path: path, reason: "the payload length is \(payloadLength) bytes, but \(sum) images of "
                    + "\(height)×\(width)×\(channels) need \(overflow ? "more than Int.max" : String(expectedLength))")
        }
        let (fileSize, sizeOverflow) = expectedOffset.addingReportingOverflow(expectedLength)
        guard !sizeOverflow, size >= fileSize else {
            throw DatasetError.truncated(path: path, expectedBytes: sizeOverflow ? Int.max : fileSize, actualBytes: size)
        }
        guard size == fileSize else {
            throw DatasetError.inconsistent(
                path: path, reason: "\(size - fileSize) unexpected bytes follow the pixels (file has \(size), expected \(fileSize))")
        }
        for index in headerLength..<expectedOffset where file[index] != 0 {
            throw DatasetError.inconsistent(path: path, reason: "the padding byte at offset \(index) is not zero")
        }
        if verifyPayload {
            let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: file[expectedOffset..<fileSize]))
            guard computed == payloadChecksum else {
                throw DatasetError.checksumMismatch(path: path, part: "payload", stored: payloadChecksum, computed: computed)
            }
        }
        let header = DatasetHeader(height: height, width: width, channels: channels, classNames: names,
                                   instanceCounts: counts, description: descriptionText,
                                   payloadChecksum: payloadChecksum)
        return Parsed(header: header, payloadOffset: expectedOffset)
    }
}

/// Bounds-checked little-endian reads from a byte buffer.
struct HeaderReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    private mutating func take(_ count: Int, what: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else {
            throw DatasetError.inconsistent(
                path: path, reason: "\(what) (\(count) bytes at offset \(offset)) runs past the end of the header "
                    + "(\(bytes.count) bytes)")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func u16() throws -> UInt16 {
        UInt16(littleEndian: try take(2, what: "a 16-bit field").loadUnaligned(as: UInt16.self))
    }

    mutating func u32() throws -> UInt32 {
        UInt32(littleEndian: try take(4, what: "a 32-bit field").loadUnaligned(as: UInt32.self))
    }

    mutating func u64() throws -> UInt64 {
        UInt64(littleEndian: try take(8, what: "a 64-bit field").loadUnaligned(as: UInt64.self))
    }

    mutating func utf8String(length: Int, what: String) throws -> String {
        let raw = try take(length, what: what)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw DatasetError.corruptHeader(path: path, reason: "\(what) is not valid UTF-8")
        }
        return text
    }
}
