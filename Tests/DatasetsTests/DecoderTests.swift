// Our own inflate, gzip, zlib, zip, tar, IDX, MD5/Adler-32 and CPython's random, on fixtures
// made by CPython (base64 literals) or built by the tests; corrupt inputs must throw.

import Foundation
import Testing
@testable import DataConversion
import Datasets

/// A zlib stream of stored (uncompressed) deflate blocks: valid input for any zlib reader.
func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let length = min(65_535, bytes.count - offset)
        let final: UInt8 = offset + length == bytes.count ? 1 : 0
        out += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
        out += bytes[offset..<(offset + length)]
        offset += length
    } while offset < bytes.count
    let adler = bytes.withUnsafeBytes { adler32($0) }
    return out + [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
}

/// A gzip member around stored deflate blocks.
func gzipStored(_ bytes: [UInt8]) -> [UInt8] {
    let deflate = Array(zlibStored(bytes).dropFirst(2).dropLast(4))
    let crc = CRC32.checksum(bytes), size = UInt32(bytes.count)
    return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + deflate
        + (0..<4).map { UInt8((crc >> (8 * $0)) & 0xFF) } + (0..<4).map { UInt8((size >> (8 * $0)) & 0xFF) }
}

@Suite struct DecoderTests {
    @Test func inflateDecodesDynamicFixedAndStoredBlocks() throws {
        #expect(try Zlib.decompress(zlibDynamicFixture) == sampleText)
        let fixed = try rawFixedFixture.withUnsafeBytes { try Inflate.decompress($0) }
        #expect(fixed.output == sampleText)
        #expect(fixed.consumed == rawFixedFixture.count)
        #expect(try Inflate.decompress(rawStoredFixture) == Array(sampleText.prefix(150)))
        #expect(try Zlib.decompress(zlibStored(sampleText)) == sampleText)
        #expect(try Zlib.decompress(zlibStored([])) == [])
    }

    @Test func gzipReadsEveryMemberAndChecksTheTrailer() throws {
        #expect(try Gzip.decompress(gzipTwoMembersFixture) == Array(sampleText.prefix(900)))
        var corrupt = gzipTwoMembersFixture
        corrupt[corrupt.count - 6] ^= 0xFF  // CRC of the second member
        #expect(throws: FormatError.self) { try Gzip.decompress(corrupt) }
        #expect(throws: FormatError.self) { try Gzip.decompress([0x1F, 0x8B, 8]) }
    }

    @Test func corruptDeflateStreamsThrow() {
        // Every truncation of a valid stream, and every single-bit flip in its first bytes.
        for length in 0..<zlibDynamicFixture.count {
            #expect(throws: (any Error).self) { try Zlib.decompress(Array(zlibDynamicFixture.prefix(length))) }
        }
        for index in 2..<40 {
            for bit in 0..<8 {
                var flipped = zlibDynamicFixture
                flipped[index] ^= UInt8(1 << bit)
                _ = try? Zlib.decompress(flipped)  // must not trap; Adler-32 catches silent damage
            }
        }
        #expect(throws: InflateError.corrupt("block type 3 is reserved")) { try Inflate.decompress([0x07]) }
        #expect(throws: InflateError.corrupt("stored block length check fails")) { try Inflate.decompress([1, 5, 0, 5, 0]) }
        #expect(throws: InflateError.tooLarge(limit: 100)) {
            _ = try zlibDynamicFixture.withUnsafeBytes { try Inflate.decompress(UnsafeRawBufferPointer(rebasing: $0[2...]), limit: 100) }
        }
    }

    @Test func huffmanTablesRejectOverSubscribedCodes() {
        #expect(throws: InflateError.self) { try HuffmanTable(codeLengths: [1, 1, 1]) }
        #expect((try? HuffmanTable(codeLengths: [1, 1])) != nil)
        #expect((try? HuffmanTable(codeLengths: [0, 1])) != nil)  // incomplete one-code tree is allowed
    }

    @Test func checksumsMatchPublishedVectors() {
        func md5(_ text: String) -> String {
            var digest = MD5()
            digest.update(Array(text.utf8))
            return digest.hexDigest()
        }
        #expect(md5("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(md5("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")
            == "57edf4a22be3c955ac49da2e2107b67a")
        var pieces = MD5()  // the same 80 bytes in awkward pieces
        let digits = Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8)
        pieces.update(Array(digits[0..<7]))
        pieces.update(Array(digits[7..<70]))
        pieces.update(Array(digits[70...]))
        #expect(pieces.hexDigest() == "57edf4a22be3c955ac49da2e2107b67a")
        #expect(Array("Wikipedia".utf8).withUnsafeBytes { adler32($0) } == 0x11E6_0398)
    }

    @Test func idxFilesParseAndRejectWrongSizes() throws {
        let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3]
        let idx = try IDXFile(header + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        #expect(idx.dimensions == [2, 2, 3] && idx.bytes.count == 12)
        #expect(try IDXFile(gzipStored(header + Array(repeating: 7, count: 12))).bytes == Array(repeating: 7, count: 12))
        #expect(throws: FormatError.self) { try IDXFile(header + [1, 2, 3]) }
        #expect(throws: FormatError.self) { try IDXFile([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]) }
    }

    @Test func zipEntriesAreReadAndCRCChecked() throws {
        let entries: [(String, [UInt8], Bool)] = [("a/", [], false), ("a/one.txt", sampleText, true), ("a/two.bin", [1, 2, 3], false)]
        let archive = try ZipArchive(data: Data(makeZip(entries)))
        #expect(archive.files.map(\.name) == ["a/one.txt", "a/two.bin"])
        #expect(try archive.contents(of: archive.files[0]) == sampleText)
        #expect(try archive.contents(of: archive.files[1]) == [1, 2, 3])
        var damaged = makeZip(entries)
        damaged[(30 + 2) + (30 + 9) + 10] ^= 0x01  // inside "a/one.txt"'s data ("a/" has none)
        let broken = try ZipArchive(data: Data(damaged))
        #expect(throws: (any Error).self) { try broken.contents(of: broken.files[0]) }
        #expect(throws: FormatError.self) { try ZipArchive(data: Data(sampleText)) }
    }

    @Test func tarRegularFilesAreListed() throws {
        let tar = makeTar([("dir/x.bin", [9, 8, 7]), ("dir/empty", [])])
        let files = try TarArchive.files(tar)
        #expect(files.map(\.name) == ["dir/x.bin", "dir/empty"])
        #expect(Array(files[0].contents) == [9, 8, 7] && files[1].contents.isEmpty)
        var bad = tar
        bad[0] ^= 1
        #expect(throws: FormatError.self) { try TarArchive.files(bad) }
    }

    @Test func pythonRandomMatchesCPython() {
        // CPython 3.11: random.seed(1); [random.getrandbits(32) for _ in range(3)]
        var generator = PythonRandom(seed: 1)
        #expect([generator.nextUInt32(), generator.nextUInt32(), generator.nextUInt32()] == [577_090_037, 2_444_712_010, 3_639_700_191])
        var big = PythonRandom(seed: 12_345_678_901_234_567_890)
        #expect([big.nextUInt32(), big.nextUInt32()] == [2_199_100_970, 3_695_432_519])
        // random.seed(1); x = list(range(1623)); random.shuffle(x)
        var shuffler = PythonRandom(seed: 1)
        var list = Array(0..<1623)
        shuffler.shuffle(&list)
        #expect(Array(list.prefix(8)) == [713, 1081, 1577, 509, 665, 717, 617, 692])
        #expect(Array(list[1100..<1104]) == [1552, 1219, 1082, 363])
        #expect(Array(list.suffix(3)) == [1564, 1165, 275])
    }
}

/// A zip archive built by the test: stored entries, or deflated with our stored-block encoder.
func makeZip(_ entries: [(name: String, data: [UInt8], deflate: Bool)]) -> [UInt8] {
    var out = [UInt8](), directory = [UInt8]()
    func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
    for (name, data, deflate) in entries {
        let payload = deflate ? Array(zlibStored(data).dropFirst(2).dropLast(4)) : data
        let crc = Int(CRC32.checksum(data)), nameBytes = Array(name.utf8), method = deflate ? 8 : 0
        let offset = out.count
        out += u32(0x0403_4B50) + u16(20) + u16(0) + u16(method) + u32(0) + u32(crc) + u32(payload.count) + u32(data.count)
            + u16(nameBytes.count) + u16(0) + nameBytes + payload
        directory += u32(0x0201_4B50) + u16(20) + u16(20) + u16(0) + u16(method) + u32(0) + u32(crc) + u32(payload.count)
            + u32(data.count) + u16(nameBytes.count) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(offset) + nameBytes
    }
    let start = out.count
    out += directory
    out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(directory.count) + u32(start) + u16(0)
    return out
}

/// A ustar archive built by the test.
func makeTar(_ files: [(name: String, data: [UInt8])]) -> [UInt8] {
    var out = [UInt8]()
    for (name, data) in files {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { for (k, byte) in text.utf8.enumerated() { header[offset + k] = byte } }
        put(name, at: 0)
        put("0000644", at: 100)
        put(String(format: "%011o", data.count), at: 124)
        put("00000000000", at: 136)
        header[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        for k in 148..<156 { header[k] = 0x20 }
        let sum = header.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), at: 148)
        header[154] = 0
        out += header + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }
    return out + [UInt8](repeating: 0, count: 1024)
}
