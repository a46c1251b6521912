// Errors for reading checkpoint files. Every message says what is wrong and what to do.

import Foundation

/// A checkpoint that cannot be read or does not fit the run.
public enum CheckpointError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    /// The first bytes are not the checkpoint magic.
    case notACheckpoint(path: String)
    case unsupportedVersion(path: String, found: UInt32, supported: UInt32)
    /// Shorter (or longer) than its header says.
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    case checksumMismatch(path: String)
    case corruptHeader(path: String, reason: String)
    /// Readable, but made for another model or method.
    case incompatible(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    static let restartHint = "Resume from another copy of the checkpoint, or start the run again without --resume "
        + "(in a new --run-dir)."

    public var description: String {
        switch self {
        case .notFound(let path):
            return "No checkpoint at \(path). Train first (`metalearn train ... --run-dir <dir>`), or point to the run "
                + "directory or .mlck file that training wrote."
        case .unreadable(let path, let reason):
            return "Cannot read the checkpoint \(path): \(reason). Check that it is a regular, readable file."
        case .notACheckpoint(let path):
            return "\(path) is not a MetaLearn checkpoint (its first bytes are not \"MLCKPT\\r\\n\"). "
                + "Give the .mlck file (or the run directory) that `metalearn train` wrote."
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path) has checkpoint format \(found), but this build reads format \(supported). "
                + "Use the build that wrote it, or train again with this one."
        case .truncated(let path, let expected, let actual):
            return "\(path) is damaged: its header announces \(expected) bytes but the file has \(actual). "
                + Self.restartHint
        case .checksumMismatch(let path):
            return "\(path) is damaged: its checksum does not match its contents. " + Self.restartHint
        case .corruptHeader(let path, let reason):
            return "\(path) has a corrupt header: \(reason). " + Self.restartHint
        case .incompatible(let path, let reason):
            return "\(path) does not fit this run: \(reason)."
        case .cannotWrite(let path, let reason):
            return "Cannot write the checkpoint \(path): \(reason). Check that the run directory is writable and "
                + "that the disk has space."
        }
    }

    public var errorDescription: String? { description }
}
