// Binary PPM/PGM decoding on hand-made files (comments, maxval 15, 16-bit), errors for every
// truncation and for garbage, and image-folder on a tiny GTSRB-like tree of PPM files.

import Foundation
import Testing
@testable import DataConversion
import Datasets
import Randomness

/// A Netpbm file: `header` as text (magic, sizes, maxval and the one whitespace byte), then `samples`.
func netpbm(_ header: String, _ samples: [UInt8]) -> [UInt8] { Array(header.utf8) + samples }

@Suite struct NetPBMTests {
    @Test func rgbPPMWithCommentsAndOddWhitespace() throws {
        // 3×2 RGB; comments between every token, tabs, CR LF and a comment running into the width.
        let samples: [UInt8] = (0..<18).map { UInt8($0 * 14) }
        let file = netpbm("P6\n# made by hand\r\n3\t# width\n  2#height next\n255\n", samples)
        let image = try NetPBMDecoder.decode(file)
        #expect(image == DecodedImage(height: 2, width: 3, channels: 3, pixels: samples))
    }

    @Test func rasterMayStartWithAByteThatLooksLikeAComment() throws {
        // Exactly one whitespace byte after the maxval: the following '#' and ' ' are pixels.
        let image = try NetPBMDecoder.decode(netpbm("P5 2 1 255 ", [UInt8(ascii: "#"), 0x20]))
        #expect(image.pixels == [0x23, 0x20] && image.channels == 1)
    }

    @Test func grayPGMWithMaxval15IsScaledTo255() throws {
        let samples: [UInt8] = [0, 1, 7, 8, 14, 15]
        let image = try NetPBMDecoder.decode(netpbm("P5 3 2 15\n", samples))
        // round(v · 255 / 15) = 17 · v.
        #expect(image == DecodedImage(height: 2, width: 3, channels: 1, pixels: [0, 17, 119, 136, 238, 255]))
        // Ties go to even, as in Pillow 11.3.0: maxval 2 gives 127.5 → 128, maxval 6 gives 42.5 → 42.
        #expect(try NetPBMDecoder.decode(netpbm("P5 3 1 2\n", [0, 1, 2])).pixels == [0, 128, 255])
        #expect(try NetPBMDecoder.decode(netpbm("P5 7 1 6\n", [0, 1, 2, 3, 4, 5, 6])).pixels == [0, 42, 85, 128, 170, 212, 255])
    }

    @Test func sixteenBitSamplesAreBigEndianAndScaled() throws {
        // maxval 65535: 0x0000, 0x8080 (32896 → 128), 0xFFFF, 0x0101 (257 → 1), 0x00FF (255 → 1), 0x7F7F (32639 → 127).
        let samples: [UInt8] = [0x00, 0x00, 0x80, 0x80, 0xFF, 0xFF, 0x01, 0x01, 0x00, 0xFF, 0x7F, 0x7F]
        let rgb = try NetPBMDecoder.decode(netpbm("P6 2 1 65535\n", samples))
        #expect(rgb == DecodedImage(height: 1, width: 2, channels: 3, pixels: [0, 128, 255, 1, 1, 127]))
        // maxval 1000 (2 bytes per sample): 0, 500 → 127.5 → 128 (even), 1000 → 255, 3 → 0.765 → 1.
        let gray = try NetPBMDecoder.decode(netpbm("P5 4 1 1000\n", [0x00, 0x00, 0x01, 0xF4, 0x03, 0xE8, 0x00, 0x03]))
        #expect(gray.pixels == [0, 128, 255, 1])
    }

    @Test func everyTruncationOfAValidFileThrows() throws {
        let valid = netpbm("P6\n# c\n2 2\n# c2\n300\n", (0..<12).flatMap { [UInt8($0 / 6), UInt8($0 * 4)] })
        #expect(try NetPBMDecoder.decode(valid).pixels.count == 12)
        for length in 0..<valid.count {
            #expect(throws: FormatError.self, "prefix of \(length) bytes") { try NetPBMDecoder.decode(Array(valid[0..<length])) }
        }
    }

    @Test(arguments: [
        ("", "does not start"), ("P3 1 1 255\n0 0 0", "P3 is not supported"), ("P7\nWIDTH 1", "P7 is not supported"),
        ("P6x1 1 255\n", "no whitespace after"), ("P6 0 4 255\n", "outside 1...65536"), ("P6 4 0 255\n", "outside 1..."),
        ("P5 70000 1 255\n", "outside 1..."), ("P5 1 1 0\n", "maxval 0"), ("P5 1 1 65536\n\0\0", "maxval 65536"),
        ("P5 99999999999999999999999 1 255\n", "too large"), ("P5 1 -1 255\n", "expected the height"),
        ("P5 1 1 255x", "followed by one whitespace"), ("P5 1 1 255", "ends after its header"),
        ("P5 1 1 255#c\n\0", "followed by one whitespace"), ("P5 2 2 255\n\0\0\0", "needs 4 bytes, the file has 3"),
        ("P5 1 1 15\n\u{10}", "larger than the maxval"), ("P5 1 1 # comment without end", "truncated before the maxval"),
        ("P5 65536 65536 65535\n\0\0", "needs 8589934592 bytes"),
    ])
    func malformedHeadersGiveClearErrors(text: String, expected: String) {
        let error = #expect(throws: FormatError.self) { try NetPBMDecoder.decode(Array(text.utf8)) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error") lacks \"\(expected)\"")
    }

    @Test func randomGarbageAfterTheMagicNeverTraps() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let count = Int.random(in: 0...40, using: &generator)
            let tail = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for magic in ["P5", "P6", "P6 "] {
                if let image = try? NetPBMDecoder.decode(Array(magic.utf8) + tail) {
                    #expect(image.pixels.count == image.height * image.width * image.channels)
                }
            }
        }
    }

    @Test func imageFolderConvertsAGTSRBLikeTreeOfPPMFiles() throws {
        // GTSRB layout: images/<class>/<track>_<image>.ppm, sizes differ, one class is PGM.
        let source = try makeTemporaryFolder("gtsrb")
        let images = source.appendingPathComponent("images")
        func rgb(_ width: Int, _ height: Int, _ seed: Int) -> [UInt8] {
            (0..<(width * height * 3)).map { UInt8(($0 * 29 + seed * 53) % 256) }
        }
        let files: [(path: String, bytes: [UInt8])] = [
            ("00000/00000_00000.ppm", netpbm("P6\n# GTSRB-like\n4 4\n255\n", rgb(4, 4, 1))),
            ("00000/00000_00001.ppm", netpbm("P6\n4 4\n255\n", rgb(4, 4, 2))),
            ("00001/00000_00000.ppm", netpbm("P6\n5 7\n255\n", rgb(5, 7, 3))),
            ("00002/00000_00000.pgm", netpbm("P5\n4 4\n15\n", (0..<16).map { UInt8($0) })),
        ]
        for (path, bytes) in files {
            let url = images.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let rows = files.map { "\($0.path),\($0.path.prefix(5))" }.joined(separator: "\n")
        try ("filename,label\n" + rows + "\n").write(to: source.appendingPathComponent("test.csv"), atomically: true, encoding: .utf8)
        let output = try makeTemporaryFolder("gtsrb-out")
        let written = try ImageFolderConverter(name: "traffic", size: 4, filter: .bicubic).convert(source: source, output: output)
        #expect(written.map(\.url.lastPathComponent) == ["traffic-test.mlds"])
        let test = try DatasetFile(contentsOf: output.appendingPathComponent("traffic-test.mlds"))
        #expect(test.classNames == ["00000", "00001", "00002"] && test.instanceCounts == [2, 1, 1])
        #expect(test.height == 4 && test.width == 4 && test.channels == 3)
        #expect(test.image(ofClass: 0, instance: 0) == rgb(4, 4, 1))
        #expect(test.image(ofClass: 0, instance: 1) == rgb(4, 4, 2))
        #expect(test.image(ofClass: 1, instance: 0)
            == Resample.resize(rgb(5, 7, 3), height: 7, width: 5, channels: 3, toHeight: 4, toWidth: 4, filter: .bicubic))
        #expect(test.image(ofClass: 2, instance: 0) == (0..<16).flatMap { v in [UInt8](repeating: UInt8(17 * v), count: 3) })
        // A broken PPM names its file; a missing one names the CSV row.
        try Data(netpbm("P6\n4 4\n255\n", [1, 2, 3])).write(to: images.appendingPathComponent("00000/00000_00001.ppm"))
        let broken = thrownError { _ = try ImageFolderConverter(name: "traffic", size: 4).convert(source: source, output: output) }
        #expect(broken?.description.contains("00000_00001.ppm") == true && broken?.description.contains("truncated") == true)
        try ("filename,label\n00003/00000_00000.ppm,00003\n").write(to: source.appendingPathComponent("test.csv"), atomically: true, encoding: .utf8)
        let missing = thrownError { _ = try ImageFolderConverter(name: "traffic", size: 4).convert(source: source, output: output) }
        #expect(missing?.description.contains("test.csv names 00003/00000_00000.ppm") == true)
    }
}
