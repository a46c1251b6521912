// Mode 3 of the fuzz target: our zlib/inflate, gzip, PNG and zip readers on arbitrary bytes.
// They must throw, never trap. Compiled in only when the DataConversion sources are added.

import Foundation
import DataConversion

func fuzzDecoders(_ bytes: [UInt8]) {
    _ = try? Zlib.decompress(bytes, limit: 1 << 20)
    _ = try? Gzip.decompress(bytes, limit: 1 << 20)
    _ = try? PNGDecoder.decode([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + bytes)
    if let archive = try? ZipArchive(data: Data(bytes)) {
        for entry in archive.files.prefix(4) { _ = try? archive.contents(of: entry) }
    }
}
