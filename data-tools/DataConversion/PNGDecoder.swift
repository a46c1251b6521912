// PNG decoder (ISO/IEC 15948) for dataset images: grayscale (1/2/4/8/16-bit), RGB, palette,
// gray+alpha and RGBA; non-interlaced. Chunk CRCs and the zlib stream are checked.

import Datasets

/// An 8-bit image `[H, W, C]`, C = 1 (gray) or 3 (RGB).
public struct DecodedImage: Equatable, Sendable {
    public var height: Int
    public var width: Int
    public var channels: Int
    public var pixels: [UInt8]
}

public enum PNGDecoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Decodes a PNG file. Gray stays 1 channel (low bit depths scaled to 0...255, so a 1-bit
    /// image gives 0 and 255, as Pillow's `convert("L")`); palette becomes RGB; alpha is dropped;
    /// 16-bit samples keep their high byte.
    public static func decode(_ bytes: [UInt8]) throws -> DecodedImage {
        guard bytes.count >= 8 + 25, Array(bytes[0..<8]) == signature else { throw FormatError("not a PNG file (bad signature)") }
        var position = 8
        var width = 0, height = 0, bitDepth = 0, colorType = -1
        var palette: [UInt8] = []
        var compressed: [UInt8] = []
        var sawEnd = false
        while position + 12 <= bytes.count && !sawEnd {
            let length = Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16 | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            guard length <= bytes.count - position - 12 else { throw FormatError("PNG chunk at byte \(position) is truncated") }
            let type = String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self)
            let body = bytes[(position + 8)..<(position + 8 + length)]
            let crcAt = position + 8 + length
            let stored = UInt32(bytes[crcAt]) << 24 | UInt32(bytes[crcAt + 1]) << 16 | UInt32(bytes[crcAt + 2]) << 8 | UInt32(bytes[crcAt + 3])
            guard CRC32.checksum(bytes[(position + 4)..<crcAt]) == stored else { throw FormatError("PNG chunk \(type) fails its CRC") }
            switch type {
            case "IHDR":
                guard length == 13 else { throw FormatError("PNG IHDR has \(length) bytes") }
                let b = Array(body)
                width = Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
                height = Int(b[4]) << 24 | Int(b[5]) << 16 | Int(b[6]) << 8 | Int(b[7])
                bitDepth = Int(b[8])
                colorType = Int(b[9])
                guard b[10] == 0, b[11] == 0 else { throw FormatError("PNG compression/filter method is not 0") }
                guard b[12] == 0 else { throw FormatError("interlaced (Adam7) PNGs are not supported") }
            case "PLTE": palette = Array(body)
            case "IDAT": compressed += body
            case "IEND": sawEnd = true
            default: break
            }
            position = crcAt + 4
        }
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[colorType], depths.contains(bitDepth) else {
            throw FormatError("PNG color type \(colorType) with bit depth \(bitDepth) is not valid")
        }
        guard width >= 1, height >= 1, width <= 1 << 16, height <= 1 << 16 else { throw FormatError("PNG size \(width)×\(height)") }
        guard !compressed.isEmpty else { throw FormatError("PNG has no image data") }
        guard sawEnd else { throw FormatError("PNG has no IEND chunk (the file is truncated)") }
        let samples = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        let bitsPerPixel = samples * bitDepth
        let rowBytes = (width * bitsPerPixel + 7) / 8
        let expected = height * (rowBytes + 1)
        let raw = try Zlib.decompress(compressed, sizeHint: expected, limit: expected)
        guard raw.count == expected else { throw FormatError("PNG image data has \(raw.count) bytes, expected \(expected)") }
        let rows = try unfilter(raw, height: height, rowBytes: rowBytes, bytesPerPixel: max(1, bitsPerPixel / 8))
        return try expand(rows, width: width, height: height, rowBytes: rowBytes, bitDepth: bitDepth,
                          colorType: colorType, palette: palette)
    }

    /// Undoes the per-row filters (None, Sub, Up, Average, Paeth).
    static func unfilter(_ raw: [UInt8], height: Int, rowBytes: Int, bytesPerPixel bpp: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: height * rowBytes)
        for y in 0..<height {
            let filter = raw[y * (rowBytes + 1)]
            let source = y * (rowBytes + 1) + 1, row = y * rowBytes, previous = row - rowBytes
            for x in 0..<rowBytes {
                let value = raw[source + x]
                let left = x >= bpp ? Int(out[row + x - bpp]) : 0
                let up = y > 0 ? Int(out[previous + x]) : 0
                let upLeft = (x >= bpp && y > 0) ? Int(out[previous + x - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let estimate = left + up - upLeft
                    let (dl, du, dul) = (abs(estimate - left), abs(estimate - up), abs(estimate - upLeft))
                    predictor = (dl <= du && dl <= dul) ? left : (du <= dul ? up : upLeft)
                default: throw FormatError("PNG row \(y) has filter type \(filter)")
                }
                out[row + x] = value &+ UInt8(truncatingIfNeeded: predictor)
            }
        }
        return out
    }

    static func expand(_ rows: [UInt8], width: Int, height: Int, rowBytes: Int, bitDepth: Int,
                       colorType: Int, palette: [UInt8]) throws -> DecodedImage {
        let channels = (colorType == 2 || colorType == 3 || colorType == 6) ? 3 : 1
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let samplesPerPixel = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        let maxValue = (1 << bitDepth) - 1
        for y in 0..<height {
            let row = y * rowBytes
            for x in 0..<width {
                let out = (y * width + x) * channels
                if bitDepth < 8 {
                    let bit = x * bitDepth
                    let value = Int(rows[row + bit / 8] >> UInt8(8 - bitDepth - bit % 8)) & maxValue
                    if colorType == 3 {
                        guard 3 * value + 2 < palette.count else { throw FormatError("PNG palette index \(value) out of range") }
                        for c in 0..<3 { pixels[out + c] = palette[3 * value + c] }
                    } else {
                        pixels[out] = UInt8(value * 255 / maxValue)
                    }
                    continue
                }
                let step = bitDepth / 8
                let first = row + x * samplesPerPixel * step
                if colorType == 3 {
                    let index = Int(rows[first])
                    guard 3 * index + 2 < palette.count else { throw FormatError("PNG palette index \(index) out of range") }
                    for c in 0..<3 { pixels[out + c] = palette[3 * index + c] }
                } else {
                    for c in 0..<channels { pixels[out + c] = rows[first + c * step] }  // high byte of 16-bit
                }
            }
        }
        return DecodedImage(height: height, width: width, channels: channels, pixels: pixels)
    }
}
