// PNG decoding (bit depths, color types, all five row filters, corrupt files) and resampling
// checked against golden values from Pillow 11.3.0.

import Testing
@testable import DataConversion
import Datasets

/// A PNG file built by the test: `rows` are raw scanlines, each filtered with `filters[y % count]`.
func makePNG(width: Int, height: Int, bitDepth: Int, colorType: Int, rows: [[UInt8]], filters: [UInt8] = [0],
             palette: [UInt8]? = nil) -> [UInt8] {
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        let crc = CRC32.checksum(typed)
        let length = UInt32(body.count)
        return [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + typed
            + [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
    }
    let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
    let bpp = max(1, samples * bitDepth / 8)
    var filtered = [UInt8]()
    for (y, row) in rows.enumerated() {
        let filter = filters[y % filters.count]
        filtered.append(filter)
        for x in 0..<row.count {
            let left = x >= bpp ? Int(row[x - bpp]) : 0
            let up = y > 0 ? Int(rows[y - 1][x]) : 0
            let upLeft = (x >= bpp && y > 0) ? Int(rows[y - 1][x - bpp]) : 0
            let predictor: Int
            switch filter {
            case 1: predictor = left
            case 2: predictor = up
            case 3: predictor = (left + up) / 2
            case 4:
                let p = left + up - upLeft
                let (a, b, c) = (abs(p - left), abs(p - up), abs(p - upLeft))
                predictor = (a <= b && a <= c) ? left : (b <= c ? up : upLeft)
            default: predictor = 0
            }
            filtered.append(row[x] &- UInt8(truncatingIfNeeded: predictor))
        }
    }
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    var header: [UInt8] = be32(width)
    header += be32(height)
    header += [UInt8(bitDepth), UInt8(colorType), 0, 0, 0]
    var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    file += chunk("IHDR", header)
    if let palette { file += chunk("PLTE", palette) }
    file += chunk("IDAT", zlibStored(filtered))
    file += chunk("IEND", [])
    return file
}

@Suite struct ImageTests {
    @Test func oneBitGrayscaleLikeOmniglot() throws {
        // 10×2, 1-bit: row 0 = 1010101010, row 1 = 1100000001 (MSB first, padded to 2 bytes).
        let png = makePNG(width: 10, height: 2, bitDepth: 1, colorType: 0, rows: [[0b1010_1010, 0b1000_0000], [0b1100_0000, 0b0100_0000]])
        let image = try PNGDecoder.decode(png)
        #expect(image.height == 2 && image.width == 10 && image.channels == 1)
        let expected: [UInt8] = [255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 255]
        #expect(image.pixels == expected)
    }

    @Test(arguments: [UInt8(0), 1, 2, 3, 4])
    func everyRowFilterDecodes(filter: UInt8) throws {
        func pixel(_ x: Int, _ y: Int) -> UInt8 { UInt8((x * 37 + y * 91 + x * y * 5) % 256) }
        let rows: [[UInt8]] = (0..<7).map { y in (0..<13).map { x in pixel(x, y) } }
        let png = makePNG(width: 13, height: 7, bitDepth: 8, colorType: 0, rows: rows, filters: [filter, 0, 4, 3])
        #expect(try PNGDecoder.decode(png).pixels == rows.flatMap { $0 })
    }

    @Test func rgbPaletteAndAlphaImages() throws {
        func sample(_ x: Int, _ y: Int) -> UInt8 { UInt8((x * 19 + y * 7) % 256) }
        let rgbRows: [[UInt8]] = (0..<3).map { y in (0..<12).map { x in sample(x, y) } }
        let rgb = try PNGDecoder.decode(makePNG(width: 4, height: 3, bitDepth: 8, colorType: 2, rows: rgbRows, filters: [1, 2, 4]))
        #expect(rgb.channels == 3)
        #expect(rgb.pixels == rgbRows.flatMap { $0 })
        let palette: [UInt8] = [10, 20, 30, 40, 50, 60]
        let indexed = try PNGDecoder.decode(makePNG(width: 3, height: 1, bitDepth: 8, colorType: 3, rows: [[1, 0, 1]], palette: palette))
        let indexedPixels: [UInt8] = [40, 50, 60, 10, 20, 30, 40, 50, 60]
        #expect(indexed.pixels == indexedPixels)
        let rgba = try PNGDecoder.decode(makePNG(width: 2, height: 1, bitDepth: 8, colorType: 6, rows: [[1, 2, 3, 255, 4, 5, 6, 0]]))
        let rgbaPixels: [UInt8] = [1, 2, 3, 4, 5, 6]
        #expect(rgba.channels == 3)
        #expect(rgba.pixels == rgbaPixels)
        let gray16 = try PNGDecoder.decode(makePNG(width: 2, height: 1, bitDepth: 16, colorType: 0, rows: [[0x12, 0x34, 0xAB, 0xCD]]))
        let highBytes: [UInt8] = [0x12, 0xAB]
        #expect(gray16.pixels == highBytes)
    }

    @Test func corruptPNGsThrow() {
        let good = makePNG(width: 4, height: 4, bitDepth: 8, colorType: 0, rows: Array(repeating: [1, 2, 3, 4], count: 4))
        var badCRC = good
        badCRC[20] ^= 1  // inside IHDR
        #expect(throws: FormatError.self) { try PNGDecoder.decode(badCRC) }
        for length in stride(from: 0, to: good.count, by: 3) {
            #expect(throws: (any Error).self) { try PNGDecoder.decode(Array(good.prefix(length))) }
        }
        let badFilter = makePNG(width: 2, height: 1, bitDepth: 8, colorType: 0, rows: [[1, 2]], filters: [9])
        #expect(throws: FormatError("PNG row 0 has filter type 9")) { try PNGDecoder.decode(badFilter) }
        let interlaced = makePNG(width: 1, height: 1, bitDepth: 8, colorType: 0, rows: [[0]])
        var withAdam7 = interlaced
        withAdam7[28] = 1  // IHDR interlace byte; the CRC no longer matches either way
        #expect(throws: FormatError.self) { try PNGDecoder.decode(withAdam7) }
    }

    @Test func resamplingMatchesPillow() {
        // Golden values: Pillow 11.3.0, Image.fromarray(a).resize((w, h), filter), with
        // a[y][x] = (7x + 13y²) mod 256 (13×11) and b[y][x] = (5x² + 3y) mod 256 (6×5).
        func patternA(_ x: Int, _ y: Int) -> UInt8 { UInt8((7 * x + 13 * y * y) % 256) }
        func patternB(_ x: Int, _ y: Int) -> UInt8 { UInt8((5 * x * x + 3 * y) % 256) }
        func patternBits(_ x: Int, _ y: Int) -> UInt8 { (x * y) % 7 == 0 ? 255 : 0 }
        let a: [UInt8] = (0..<11).flatMap { y in (0..<13).map { x in patternA(x, y) } }
        let lanczos = Resample.resize(a, height: 11, width: 13, channels: 1, toHeight: 4, toWidth: 5, filter: .lanczos)
        let pillowLanczos: [UInt8] = [25, 42, 65, 92, 109, 141, 167, 148, 91, 115, 147, 173, 154, 96, 121, 41, 58, 81, 108, 125]
        #expect(lanczos == pillowLanczos)
        let b: [UInt8] = (0..<5).flatMap { y in (0..<6).map { x in patternB(x, y) } }
        let bicubic = Resample.resize(b, height: 5, width: 6, channels: 1, toHeight: 7, toWidth: 8, filter: .bicubic)
        let pillowBicubic: [UInt8] = [0, 2, 9, 23, 41, 66, 99, 127, 1, 3, 10, 24, 42, 67, 100, 128, 4, 6, 13, 27, 45, 70,
                                      103, 131, 6, 8, 15, 29, 47, 72, 105, 133, 8, 10, 17, 31, 49, 74, 107, 135, 11, 13, 20,
                                      34, 52, 77, 110, 138, 12, 14, 21, 35, 53, 78, 111, 139]
        #expect(bicubic == pillowBicubic)
        // Three interleaved channels resample like three separate images.
        let rgb = b.flatMap { [$0, $0, $0] }
        #expect(Resample.resize(rgb, height: 5, width: 6, channels: 3, toHeight: 7, toWidth: 8, filter: .bicubic)
            == bicubic.flatMap { [$0, $0, $0] })
        // Pillow on a 1-bit ("1" mode) image ignores LANCZOS and uses NEAREST: 10×9 → 4×3.
        let bits: [UInt8] = (0..<9).flatMap { y in (0..<10).map { x in patternBits(x, y) } }
        let pillowNearest: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255]
        #expect(Resample.nearest(bits, height: 9, width: 10, channels: 1, toHeight: 3, toWidth: 4) == pillowNearest)
    }
}
