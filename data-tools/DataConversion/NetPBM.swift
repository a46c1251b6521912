// Binary Netpbm decoder for dataset images (GTSRB's traffic signs are PPM): P6 (RGB) and P5 (gray),
// 8- or 16-bit samples. Malformed input throws FormatError; nothing here can trap.

/// Netpbm binary images, as described in netpbm.sourceforge.net/doc/ppm.html and pgm.html:
/// `P6` or `P5`, whitespace, width, whitespace, height, whitespace, maxval, exactly one whitespace
/// byte, then `height · width · C` samples row by row (C = 3 for P6, 1 for P5). A `#` before the
/// maxval's final whitespace starts a comment that runs to the end of its line.
public enum NetPBMDecoder {
    /// Largest accepted width or height (the same limit as PNG).
    static let maxSide = 1 << 16

    /// True when `bytes` begin with a Netpbm magic number (`P1` … `P7`), so `decode` should be
    /// tried (it explains the unsupported kinds).
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == UInt8(ascii: "P") && (UInt8(ascii: "1")...UInt8(ascii: "7")).contains(bytes[1])
    }

    /// Decodes a P6 (3 channels) or P5 (1 channel) file to 8 bits.
    ///
    /// A sample `v` with maxval `M` becomes `round(v / M · 255)` in Double, ties to even, as Pillow's
    /// PPM decoder computes it: unchanged for M = 255, 0…15 → 0, 17, …, 255 for M = 15. M ≥ 256
    /// means 2-byte big-endian samples. Bytes after the image (a second image of a multi-image file)
    /// are ignored.
    public static func decode(_ bytes: [UInt8]) throws -> DecodedImage {
        guard hasMagic(bytes) else { throw FormatError("not a PPM/PGM file (it does not start with P5 or P6)") }
        let channels: Int
        switch bytes[1] {
        case UInt8(ascii: "6"): channels = 3
        case UInt8(ascii: "5"): channels = 1
        default:
            throw FormatError("Netpbm type P\(Character(Unicode.Scalar(bytes[1]))) is not supported; only binary "
                + "P6 (PPM) and P5 (PGM) are. Convert it first, e.g. with Pillow: Image.open(f).save('x.png')")
        }
        guard bytes.count > 2, isWhitespace(bytes[2]) || bytes[2] == UInt8(ascii: "#") else {
            throw FormatError("not a PPM/PGM file (no whitespace after the magic number P\(channels == 3 ? 6 : 5))")
        }
        var position = 2
        let width = try readNumber(bytes, &position, name: "width")
        let height = try readNumber(bytes, &position, name: "height")
        let maxValue = try readNumber(bytes, &position, name: "maxval")
        guard position < bytes.count else { throw FormatError("PPM/PGM file ends after its header (no image data)") }
        guard isWhitespace(bytes[position]) else {
            throw FormatError("PPM/PGM maxval must be followed by one whitespace byte, found byte \(bytes[position]) at offset \(position)")
        }
        let start = position + 1
        guard (1...maxSide).contains(width), (1...maxSide).contains(height) else {
            throw FormatError("PPM/PGM size \(width)×\(height) is outside 1...\(maxSide) per side")
        }
        guard (1...65535).contains(maxValue) else { throw FormatError("PPM/PGM maxval \(maxValue) is outside 1...65535") }
        let sampleBytes = maxValue < 256 ? 1 : 2
        let sampleCount = height * width * channels  // ≤ 3·2³², no overflow on 64-bit Int
        let available = bytes.count - start
        guard available >= sampleCount * sampleBytes else {
            throw FormatError("PPM/PGM image data is truncated: \(width)×\(height)×\(channels) with maxval \(maxValue) "
                + "needs \(sampleCount * sampleBytes) bytes, the file has \(available)")
        }
        var pixels = [UInt8](repeating: 0, count: sampleCount)
        for index in 0..<sampleCount {
            let at = start + index * sampleBytes
            let value = sampleBytes == 1 ? Int(bytes[at]) : Int(bytes[at]) << 8 | Int(bytes[at + 1])
            guard value <= maxValue else {
                throw FormatError("PPM/PGM sample \(value) at byte \(at) is larger than the maxval \(maxValue)")
            }
            pixels[index] = maxValue == 255 ? UInt8(value)
                : UInt8((Double(value) / Double(maxValue) * 255).rounded(.toNearestOrEven))
        }
        return DecodedImage(height: height, width: width, channels: channels, pixels: pixels)
    }

    /// Space, tab, LF, VT, FF, CR.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// Skips whitespace and comments, then reads one decimal header number; `position` ends on the
    /// byte after its last digit. Numbers above 9,999,999 are refused before they can overflow.
    static func readNumber(_ bytes: [UInt8], _ position: inout Int, name: String) throws -> Int {
        while position < bytes.count {
            if isWhitespace(bytes[position]) {
                position += 1
            } else if bytes[position] == UInt8(ascii: "#") {
                while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
            } else {
                break
            }
        }
        guard position < bytes.count else { throw FormatError("PPM/PGM header is truncated before the \(name)") }
        var value = 0, digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            digits += 1
            position += 1
            guard value <= 9_999_999 else { throw FormatError("PPM/PGM \(name) is too large (more than 9,999,999)") }
        }
        guard digits > 0 else {
            throw FormatError("PPM/PGM header: expected the \(name) (a decimal number) at byte \(position), found byte \(bytes[position])")
        }
        return value
    }
}
