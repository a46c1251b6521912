// Test fixtures: tiny dataset files and temporary folders, written by the tests themselves
// (no committed binaries).

import Foundation
@testable import Datasets

/// A fresh, empty folder under the system temporary directory.
func makeTemporaryFolder(_ label: String = "fixture") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("metalearn-datasets-tests")
        .appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small dataset: class `c` has `counts[c]` images whose pixel `p` of instance `i` is
/// `(31·c + 7·i + p) mod 256`, so every image is distinct and predictable.
func fixtureWriter(counts: [Int], height: Int = 3, width: Int = 3, channels: Int = 1,
                   description: String = "fixture") throws -> DatasetWriter {
    var writer = DatasetWriter(height: height, width: width, channels: channels, description: description)
    let imageBytes = height * width * channels
    for (c, count) in counts.enumerated() {
        var pixels = [UInt8]()
        for i in 0..<count {
            for p in 0..<imageBytes { pixels.append(UInt8((31 * c + 7 * i + p) % 256)) }
        }
        try writer.addClass(name: "class\(c)", pixels: pixels)
    }
    return writer
}

/// The expected bytes of fixture image (class c, instance i).
func fixtureImage(c: Int, i: Int, imageBytes: Int) -> [UInt8] {
    (0..<imageBytes).map { UInt8((31 * c + 7 * i + $0) % 256) }
}

/// An in-memory dataset built from `fixtureWriter`.
func fixtureDataset(counts: [Int], height: Int = 3, width: Int = 3, channels: Int = 1) throws -> DatasetFile {
    let writer = try fixtureWriter(counts: counts, height: height, width: width, channels: channels)
    return try DatasetFile(data: writer.encoded(), name: "fixture.mlds")
}

/// Overwrites a little-endian integer in a byte array.
func patch<T: FixedWidthInteger>(_ bytes: inout [UInt8], at offset: Int, _ value: T) {
    withUnsafeBytes(of: value.littleEndian) { raw in
        for k in 0..<raw.count { bytes[offset + k] = raw[k] }
    }
}

/// Recomputes the header CRC after a test edited header fields (so other checks are reached).
func resignHeader(_ bytes: inout [UInt8]) {
    let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
    let crc = DatasetHeader.headerChecksum(Array(bytes[0..<headerLength]))
    patch(&bytes, at: 60, crc)
}

/// The error thrown by `body`, or nil.
func thrownError(_ body: () throws -> Void) -> DatasetError? {
    do {
        try body()
        return nil
    } catch let error as DatasetError {
        return error
    } catch {
        return .invalidRequest("unexpected error type: \(error)")
    }
}
