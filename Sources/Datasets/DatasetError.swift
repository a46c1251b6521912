// Errors for dataset files, converters and samplers. Every message says what is wrong and
// what to run to fix it (the spirit of llm.c's "HINT:"). Foundation only.

import Foundation

/// A problem with a dataset file, a conversion source or a sampling request.
///
/// `description` is the full message for a person: what is wrong, then what to run.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The dataset file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, a directory, an I/O error).
    case unreadable(path: String, reason: String)
    /// The first 8 bytes are not the MetaLearn dataset magic.
    case notADatasetFile(path: String, found: [UInt8])
    /// The file was written in a format version this reader does not know.
    case unsupportedVersion(path: String, found: UInt32, supported: UInt32)
    /// The file is shorter than its header says.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// A header field is out of range or unreadable.
    case corruptHeader(path: String, reason: String)
    /// A stored CRC-32 does not match the bytes (`part` is "header" or "payload").
    case checksumMismatch(path: String, part: String, stored: UInt32, computed: UInt32)
    /// Header fields disagree with each other or with the file size.
    case inconsistent(path: String, reason: String)
    /// A sampler or episode request that the dataset cannot satisfy. The message is complete.
    case invalidRequest(String)
    /// A converter input (archive, folder, split file) is missing.
    case sourceMissing(path: String, hint: String)
    /// A converter input exists but its contents are malformed.
    case badSource(path: String, reason: String)
    /// A download could not be made (no network, refused, timed out).
    case noNetwork(url: String, reason: String)
    /// A downloaded or local archive has the wrong checksum.
    case archiveChecksumMismatch(path: String, expectedMD5: String, actualMD5: String)

    /// The command that rebuilds a dataset file from its original archive.
    public static let reconvertHint =
        "Re-create it from the original archive with `swift run -c release metalearn-data <dataset> "
        + "--source <dir> --output <dir>` (see data-tools/README.md)."

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "No dataset file at \(path). Convert the dataset first: `swift run -c release metalearn-data "
                + "<dataset> --source <dir> --output <dir>` (datasets and commands: data-tools/README.md)."
        case .unreadable(let path, let reason):
            return "Cannot read the dataset file \(path): \(reason). Check that it is a regular, readable file. "
                + Self.reconvertHint
        case .notADatasetFile(let path, let found):
            let hex = found.map { String(format: "%02X", $0) }.joined(separator: " ")
            return "\(path) is not a MetaLearn dataset file: its first bytes are [\(hex)], not the magic "
                + "[4D 4C 44 53 0D 0A 1A 0A] (\"MLDS\\r\\n\\u{1A}\\n\"). " + Self.reconvertHint
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path) has format version \(found), but this build reads version \(supported). "
                + "Re-convert it with this build: `swift run -c release metalearn-data <dataset> --source <dir> "
                + "--output <dir>`."
        case .truncated(let path, let expected, let actual):
            return "\(path) is truncated: it should have \(expected) bytes but has \(actual). "
                + "The copy or conversion was interrupted. " + Self.reconvertHint
        case .corruptHeader(let path, let reason):
            return "\(path) has a corrupt header: \(reason). " + Self.reconvertHint
        case .checksumMismatch(let path, let part, let stored, let computed):
            return "\(path): the \(part) checksum does not match (stored CRC-32 "
                + String(format: "%08x", stored) + ", computed " + String(format: "%08x", computed)
                + "); the file is corrupt. " + Self.reconvertHint
        case .inconsistent(let path, let reason):
            return "\(path) is inconsistent: \(reason). " + Self.reconvertHint
        case .invalidRequest(let message):
            return message
        case .sourceMissing(let path, let hint):
            return "Missing conversion source \(path). \(hint)"
        case .badSource(let path, let reason):
            return "Cannot convert \(path): \(reason). Check that it is the unmodified official file "
                + "(`metalearn-data <dataset> --download --output <dir>` fetches it where a network exists)."
        case .noNetwork(let url, let reason):
            return "Cannot download \(url): \(reason). There seems to be no network here. Download the file on a "
                + "machine with a network, copy it into a folder, and run `swift run -c release metalearn-data "
                + "<dataset> --source <that folder> --output <dir>`."
        case .archiveChecksumMismatch(let path, let expected, let actual):
            return "\(path) has MD5 \(actual), but the official file has MD5 \(expected). Delete it and download "
                + "it again (`metalearn-data <dataset> --download --output <dir>`)."
        }
    }

    public var errorDescription: String? { description }
}
