// NumPy `.npy` reader for the one array MetaLearn needs: L2B's `data/svhn/val_idx.npy`, a 2-D
// little-endian int64 array in C order (format version 1 or 2 header).

import Foundation

/// A NumPy `.npy` file holding a 2-D little-endian int64 array (L2B's `val_idx.npy`).
public struct NPYInt64Matrix {
    public var rows: Int, columns: Int
    public var values: [Int]

    public init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 10, Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8) else { throw FormatError("not a .npy file") }
        let headerLength = bytes[6] == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8 : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16
        let headerStart = bytes[6] == 1 ? 10 : 12
        guard headerStart + headerLength <= bytes.count else { throw FormatError(".npy header is truncated") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'<i8'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw FormatError(".npy file is not a C-ordered little-endian int64 array: \(header)")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard shape.count == 2 else { throw FormatError(".npy array has shape \(shape), expected 2-D") }
        let start = headerStart + headerLength
        guard bytes.count - start == shape[0] * shape[1] * 8 else { throw FormatError(".npy data size does not match its shape") }
        rows = shape[0]
        columns = shape[1]
        values = bytes[start...].withUnsafeBytes { raw in
            (0..<(shape[0] * shape[1])).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        }
    }
}
