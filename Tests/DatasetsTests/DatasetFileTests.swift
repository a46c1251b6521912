// Dataset file format: writer/reader round trip and every validation error, on fixture files
// the tests write themselves (bad magic, wrong version, truncation, checksums, counts).

import Foundation
import Testing
@testable import Datasets

@Suite struct DatasetFileTests {
    @Test func roundTripThroughAFile() throws {
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("tiny.mlds")
        let writer = try fixtureWriter(counts: [2, 5, 1], height: 2, width: 3, channels: 2, description: "tiny ü")
        try writer.write(to: url)
        let file = try DatasetFile(contentsOf: url)
        #expect(file.height == 2 && file.width == 3 && file.channels == 2)
        #expect(file.classCount == 3)
        #expect(file.instanceCounts == [2, 5, 1])
        #expect(file.classNames == ["class0", "class1", "class2"])
        #expect(file.description == "tiny ü")
        #expect(file.totalInstances == 8)
        #expect(file.checksumVerified)
        for c in 0..<3 {
            for i in 0..<file.instanceCounts[c] {
                #expect(file.image(ofClass: c, instance: i) == fixtureImage(c: c, i: i, imageBytes: 12))
            }
        }
        var floats = [Float](repeating: -1, count: 12)
        floats.withUnsafeMutableBufferPointer { file.copyImage(ofClass: 1, instance: 4, into: $0.baseAddress!) }
        #expect(floats == fixtureImage(c: 1, i: 4, imageBytes: 12).map { Float($0) / 255 })
        // The payload starts on a 64-byte boundary and the file has no trailing bytes.
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
        #expect((size - 8 * 12) % 64 == 0)
    }

    @Test func crc32MatchesTheStandardCheckValueAndABitwiseReference() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        for length in [1, 7, 8, 9, 13, 33, 65] {
            let bytes = (0..<length).map { UInt8(($0 * 89 + 17) % 256) }
            #expect(CRC32.checksum(bytes) == bitwise(bytes), "length \(length)")
            var split = CRC32()
            split.update(bytes.prefix(length / 3))
            split.update(bytes.dropFirst(length / 3))
            #expect(split.value == bitwise(bytes), "split, length \(length)")
        }
    }

    @Test func missingFileSaysHowToConvert() throws {
        let url = try makeTemporaryFolder().appendingPathComponent("absent.mlds")
        let error = thrownError { _ = try DatasetFile(contentsOf: url) }
        #expect(error == .fileNotFound(path: url.path))
        #expect(error?.description == "No dataset file at \(url.path). Convert the dataset first: "
            + "`swift run -c release metalearn-data <dataset> --source <dir> --output <dir>` "
            + "(datasets and commands: data-tools/README.md).")
        let folder = try makeTemporaryFolder()
        #expect(thrownError { _ = try DatasetFile(contentsOf: folder) } == .unreadable(path: folder.path, reason: "it is a directory"))
    }

    @Test func badMagicIsReportedWithTheBytesFound() throws {
        let folder = try makeTemporaryFolder()
        let url = folder.appendingPathComponent("picture.mlds")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + [UInt8](repeating: 0, count: 80)).write(to: url)
        let error = thrownError { _ = try DatasetFile(contentsOf: url) }
        #expect(error == .notADatasetFile(path: url.path, found: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(error?.description == "\(url.path) is not a MetaLearn dataset file: its first bytes are "
            + "[89 50 4E 47 0D 0A 1A 0A], not the magic [4D 4C 44 53 0D 0A 1A 0A] (\"MLDS\\r\\n\\u{1A}\\n\"). "
            + "Re-create it from the original archive with `swift run -c release metalearn-data <dataset> "
            + "--source <dir> --output <dir>` (see data-tools/README.md).")
        #expect(thrownError { _ = try DatasetFile(data: Data(), name: "empty") } == .notADatasetFile(path: "empty", found: []))
    }

    @Test func wrongVersionNamesBothVersions() throws {
        var bytes = [UInt8](try fixtureWriter(counts: [2]).encoded())
        patch(&bytes, at: 8, UInt32(2))
        let error = thrownError { _ = try DatasetFile(data: Data(bytes), name: "v2.mlds") }
        #expect(error == .unsupportedVersion(path: "v2.mlds", found: 2, supported: 1))
        #expect(error?.description == "v2.mlds has format version 2, but this build reads version 1. "
            + "Re-convert it with this build: `swift run -c release metalearn-data <dataset> --source <dir> --output <dir>`.")
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = [UInt8](try fixtureWriter(counts: [3, 2], height: 4, width: 4).encoded())
        let full = bytes.count
        #expect(thrownError { _ = try DatasetFile(data: Data(bytes.prefix(40)), name: "t") }
            == .truncated(path: "t", expectedBytes: 64, actualBytes: 40))
        #expect(thrownError { _ = try DatasetFile(data: Data(bytes.prefix(full - 1)), name: "t") }
            == .truncated(path: "t", expectedBytes: full, actualBytes: full - 1))
        for length in 0..<full {
            let error = thrownError { _ = try DatasetFile(data: Data(bytes.prefix(length)), name: "t") }
            #expect(error != nil, "prefix of \(length) bytes was accepted")
        }
        let message = DatasetError.truncated(path: "a.mlds", expectedBytes: 100, actualBytes: 7).description
        #expect(message == "a.mlds is truncated: it should have 100 bytes but has 7. The copy or "
            + "conversion was interrupted. Re-create it from the original archive with `swift run -c release "
            + "metalearn-data <dataset> --source <dir> --output <dir>` (see data-tools/README.md).")
    }

    @Test func checksumMismatchesAreFoundInPixelsAndHeader() throws {
        let original = [UInt8](try fixtureWriter(counts: [2, 2]).encoded())
        var pixels = original
        pixels[pixels.count - 3] ^= 0x10
        let error = thrownError { _ = try DatasetFile(data: Data(pixels), name: "p.mlds") }
        guard case .checksumMismatch(_, "payload", let stored, let computed) = error else {
            Issue.record("expected a payload checksum error, got \(String(describing: error))")
            return
        }
        #expect(stored == CRC32.checksum(original[(original.count - 36)...]))
        #expect(computed == CRC32.checksum(pixels[(pixels.count - 36)...]))
        #expect(error?.description.hasPrefix("p.mlds: the payload checksum does not match (stored CRC-32 ") == true)
        // Opening without verification accepts the corrupt pixels.
        let unchecked = try DatasetFile(data: Data(pixels), name: "p.mlds", verifyChecksum: false)
        #expect(!unchecked.checksumVerified)
        var name = original
        name[64 + 2 * 4 + 4 + "fixture".utf8.count + 2] ^= 0x01  // first letter of "class0"
        guard case .checksumMismatch(_, "header", _, _) = thrownError({ _ = try DatasetFile(data: Data(name)) }) else {
            Issue.record("expected a header checksum error")
            return
        }
    }

    @Test func inconsistentCountsAndSizesAreNamed() throws {
        let original = [UInt8](try fixtureWriter(counts: [2, 3]).encoded())
        var total = original
        patch(&total, at: 32, UInt64(6))
        resignHeader(&total)
        #expect(thrownError { _ = try DatasetFile(data: Data(total), name: "c") } == .inconsistent(
            path: "c", reason: "the per-class instance counts add up to 5, but the header says 6"))

        var zero = original
        patch(&zero, at: 64, UInt32(0))
        resignHeader(&zero)
        #expect(thrownError { _ = try DatasetFile(data: Data(zero), name: "c") }
            == .inconsistent(path: "c", reason: "class 0 has no instances"))

        var length = original
        patch(&length, at: 48, UInt64(44))
        resignHeader(&length)
        #expect(thrownError { _ = try DatasetFile(data: Data(length), name: "c") } == .inconsistent(
            path: "c", reason: "the payload length is 44 bytes, but 5 images of 3×3×1 need 45"))

        let extra = original + [0]
        #expect(thrownError { _ = try DatasetFile(data: Data(extra), name: "c") } == .inconsistent(
            path: "c", reason: "1 unexpected bytes follow the pixels (file has \(original.count + 1), expected \(original.count))"))

        var channels = original
        patch(&channels, at: 24, UInt32(9))
        resignHeader(&channels)
        #expect(thrownError { _ = try DatasetFile(data: Data(channels), name: "c") }
            == .corruptHeader(path: "c", reason: "channel count 9 is outside 1...4"))

        var classes = original
        patch(&classes, at: 28, UInt32(3))
        resignHeader(&classes)
        let error = thrownError { _ = try DatasetFile(data: Data(classes), name: "c") }
        guard case .inconsistent = error else {
            Issue.record("a wrong class count should be inconsistent, got \(String(describing: error))")
            return
        }
    }

    @Test func rotationMatchesNumpyRot90() {
        // numpy.rot90([[1, 2, 3], [4, 5, 6]], k) for k = 0...3.
        let image: [UInt8] = [1, 2, 3, 4, 5, 6]
        let expected: [[UInt8]] = [[1, 2, 3, 4, 5, 6], [3, 6, 2, 5, 1, 4], [6, 5, 4, 3, 2, 1], [4, 1, 5, 2, 6, 3]]
        for k in 0..<4 {
            var out = [Float](repeating: -1, count: 6)
            image.withUnsafeBytes { bytes in
                out.withUnsafeMutableBufferPointer {
                    ImageRotation.copyRotated(bytes, height: 2, width: 3, channels: 1, quarterTurns: k, into: $0.baseAddress!)
                }
            }
            #expect(out == expected[k].map { Float($0) / 255 }, "k = \(k)")
        }
        // Two channels move together.
        let rgb: [UInt8] = [1, 10, 2, 20, 3, 30, 4, 40]
        var out = [Float](repeating: -1, count: 8)
        rgb.withUnsafeBytes { bytes in
            out.withUnsafeMutableBufferPointer {
                ImageRotation.copyRotated(bytes, height: 2, width: 2, channels: 2, quarterTurns: 1, into: $0.baseAddress!)
            }
        }
        #expect(out == [2, 20, 4, 40, 1, 10, 3, 30].map { Float($0) / 255 })
    }
}
