// tar reader (POSIX ustar / GNU, regular files only): the CIFAR-100 binary tarball.

/// The regular files of a tar archive, as (path, bytes) pairs in archive order.
public enum TarArchive {
    public static func files(_ bytes: [UInt8]) throws -> [(name: String, contents: ArraySlice<UInt8>)] {
        var files: [(String, ArraySlice<UInt8>)] = []
        var position = 0
        var longName: String?
        while position + 512 <= bytes.count {
            let header = bytes[position..<(position + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }  // end-of-archive blocks
            func text(_ offset: Int, _ length: Int) -> String {
                let field = bytes[(position + offset)..<(position + offset + length)]
                return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
            }
            let sizeText = text(124, 12).trimmingCharacters(in: " ")
            guard let size = Int(sizeText.isEmpty ? "0" : sizeText, radix: 8), size >= 0 else {
                throw FormatError("tar header at byte \(position) has a bad size field \"\(sizeText)\"")
            }
            let stored = bytes[(position + 148)..<(position + 156)]
            let checksum = Int(String(decoding: stored.prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self), radix: 8)
            let computed = header.enumerated().reduce(0) { $0 + (148..<156 ~= $1.offset ? 32 : Int($1.element)) }
            guard checksum == computed else { throw FormatError("tar header at byte \(position) fails its checksum") }
            let type = bytes[position + 156]
            let prefix = text(345, 155)
            var name = prefix.isEmpty ? text(0, 100) : prefix + "/" + text(0, 100)
            if let long = longName { name = long; longName = nil }
            let start = position + 512
            guard size <= bytes.count - start else { throw FormatError("tar entry \(name) is truncated") }
            let contents = bytes[start..<(start + size)]
            if type == UInt8(ascii: "L") {  // GNU long name for the next entry
                longName = String(decoding: contents.prefix { $0 != 0 }, as: UTF8.self)
            } else if type == 0 || type == UInt8(ascii: "0") {
                files.append((name, contents))
            }
            position = start + (size + 511) / 512 * 512
        }
        return files
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
