// MATLAB level-5 MAT-file reader (the format of SVHN's train_32x32.mat / test_32x32.mat):
// numeric arrays, compressed (miCOMPRESSED, zlib) or not, little-endian. No cells, structs or sparse.

import Foundation

/// The numeric variables of a MAT-file.
public struct MATFile {
    public struct Variable {
        public var name: String
        /// MATLAB dimensions (column-major storage: the first index varies fastest).
        public var dimensions: [Int]
        /// The stored element type (miUINT8 = 2, miDOUBLE = 9, …).
        public var storageType: Int
        /// The raw little-endian element bytes.
        public var bytes: [UInt8]

        /// The elements as bytes, if the variable is stored as miUINT8.
        public var uint8Values: [UInt8]? { storageType == 2 ? bytes : nil }

        /// The elements converted to Double (any numeric storage type).
        public func doubleValues() throws -> [Double] {
            let sizes = [1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8]
            guard let size = sizes[storageType] else { throw FormatError("MAT variable \(name): element type \(storageType)") }
            return bytes.withUnsafeBytes { raw in
                (0..<(raw.count / size)).map { index in
                    let at = index * size
                    switch storageType {
                    case 1: return Double(Int8(bitPattern: raw[at]))
                    case 2: return Double(raw[at])
                    case 3: return Double(raw.loadUnaligned(fromByteOffset: at, as: Int16.self))
                    case 4: return Double(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self))
                    case 5: return Double(raw.loadUnaligned(fromByteOffset: at, as: Int32.self))
                    case 6: return Double(raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                    case 7: return Double(raw.loadUnaligned(fromByteOffset: at, as: Float.self))
                    case 9: return raw.loadUnaligned(fromByteOffset: at, as: Double.self)
                    case 12: return Double(raw.loadUnaligned(fromByteOffset: at, as: Int64.self))
                    default: return Double(raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                    }
                }
            }
        }
    }

    public var variables: [Variable]

    public subscript(name: String) -> Variable? { variables.first { $0.name == name } }

    public init(contentsOf url: URL) throws {
        try self.init([UInt8](Data(contentsOf: url, options: .alwaysMapped)))
    }

    public init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 128 else { throw FormatError("too short for a MAT-file") }
        guard bytes[126] == UInt8(ascii: "I"), bytes[127] == UInt8(ascii: "M") else {
            throw FormatError("not a little-endian level-5 MAT-file (v7.3 HDF5 files are not supported)")
        }
        var found: [Variable] = []
        try Self.readElements(bytes, from: 128, to: bytes.count, into: &found)
        variables = found
    }

    /// Reads a data element tag: (type, size, data start, next element).
    static func tag(_ bytes: [UInt8], at offset: Int, end: Int) throws -> (type: Int, size: Int, start: Int, next: Int) {
        guard offset + 8 <= end else { throw FormatError("MAT element at byte \(offset) is truncated") }
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let first = u32(offset)
        if first >> 16 != 0 {  // small element: size in the high half, data in the tag's second word
            return (first & 0xFFFF, first >> 16, offset + 4, offset + 8)
        }
        let size = u32(offset + 4), start = offset + 8
        guard size <= end - start else { throw FormatError("MAT element at byte \(offset) runs past the end") }
        let type = first
        return (type, size, start, type == 15 ? start + size : start + (size + 7) / 8 * 8)
    }

    static func readElements(_ bytes: [UInt8], from start: Int, to end: Int, into found: inout [Variable]) throws {
        var offset = start
        while offset + 8 <= end {
            let element = try tag(bytes, at: offset, end: end)
            switch element.type {
            case 15:  // miCOMPRESSED: a zlib stream holding one more element
                let inflated = try Zlib.decompress(Array(bytes[element.start..<(element.start + element.size)]), limit: 1 << 32)
                try readElements(inflated, from: 0, to: inflated.count, into: &found)
            case 14:  // miMATRIX
                if let variable = try matrix(bytes, from: element.start, to: element.start + element.size) { found.append(variable) }
            default: break
            }
            offset = min(element.next, end)
        }
    }

    /// Parses an miMATRIX body: flags, dimensions, name, real part (imaginary parts are ignored).
    static func matrix(_ bytes: [UInt8], from start: Int, to end: Int) throws -> Variable? {
        var offset = start
        var parts: [(type: Int, data: ArraySlice<UInt8>)] = []
        while offset < end && parts.count < 4 {
            let element = try tag(bytes, at: offset, end: end)
            parts.append((element.type, bytes[element.start..<(element.start + element.size)]))
            offset = element.next
        }
        guard parts.count == 4 else { return nil }  // empty or non-numeric
        let arrayClass = Int(parts[0].data.first ?? 0)
        guard (6...15).contains(arrayClass) else { return nil }  // numeric classes only
        let dimensionBytes = Array(parts[1].data)
        let dimensions = stride(from: 0, to: dimensionBytes.count - 3, by: 4).map {
            Int(Int32(bitPattern: UInt32(dimensionBytes[$0]) | UInt32(dimensionBytes[$0 + 1]) << 8
                | UInt32(dimensionBytes[$0 + 2]) << 16 | UInt32(dimensionBytes[$0 + 3]) << 24))
        }
        let name = String(decoding: parts[2].data, as: UTF8.self)
        return Variable(name: name, dimensions: dimensions, storageType: parts[3].type, bytes: Array(parts[3].data))
    }
}
