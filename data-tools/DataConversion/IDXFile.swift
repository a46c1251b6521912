// IDX files (MNIST, Fashion-MNIST): big-endian header, magic 0x0000080N for unsigned bytes
// with N dimensions, then the data. Accepts gzip-compressed or raw files.

import Foundation

public struct IDXFile: Equatable, Sendable {
    public var dimensions: [Int]
    public var bytes: [UInt8]

    /// Parses IDX bytes (gunzipped first if they start with the gzip magic).
    public init(_ input: [UInt8]) throws {
        let data = try input.withUnsafeBytes { Gzip.isGzip($0) } ? Gzip.decompress(input) : input
        guard data.count >= 4, data[0] == 0, data[1] == 0 else { throw FormatError("not an IDX file (bad magic)") }
        guard data[2] == 0x08 else { throw FormatError("IDX element type 0x\(String(data[2], radix: 16)) is not unsigned byte") }
        let rank = Int(data[3])
        guard rank >= 1, rank <= 4, data.count >= 4 + 4 * rank else { throw FormatError("IDX header with \(rank) dimensions is truncated") }
        var dimensions = [Int](), total = 1
        for index in 0..<rank {
            let at = 4 + 4 * index
            let size = Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3])
            dimensions.append(size)
            total *= size
        }
        guard data.count - 4 - 4 * rank == total else {
            throw FormatError("IDX dimensions \(dimensions) need \(total) bytes, the file has \(data.count - 4 - 4 * rank)")
        }
        self.dimensions = dimensions
        self.bytes = Array(data[(4 + 4 * rank)...])
    }

    public init(contentsOf url: URL) throws {
        try self.init([UInt8](Data(contentsOf: url)))
    }
}
