// Checkpoint files: the complete `TrainingState` (θ, α, Adam moments and step, task-stream
// state) stored exactly, bit for bit, so `train --resume` continues as if never interrupted.
// Written atomically: a temporary file, flushed to disk, then renamed over the old checkpoint.

import Autodiff
import Foundation
import NN

/// A saved training state plus free-form metadata (the run's model and method, for checks).
///
/// File layout (little-endian):
///
///     0   8  magic "MLCKPT\r\n"
///     8   4  format version (UInt32, 1)
///     12  4  header length H (UInt32)
///     16  8  payload length P (UInt64, bytes)
///     24  8  FNV-1a 64-bit checksum of bytes [32, 32 + H + P)
///     32  H  header: JSON (iteration, task-stream state, Adam settings, tensor names and shapes, metadata)
///     32+H P payload: the tensors' Float32 bit patterns, in header order
public struct Checkpoint: Equatable, Sendable {
    public static let magic: [UInt8] = Array("MLCKPT\r\n".utf8)
    public static let formatVersion: UInt32 = 1
    static let prefixLength = 32

    public var state: TrainingState
    /// Strings the writer wants back (e.g. the model description), checked on resume.
    public var metadata: [String: String]

    public init(state: TrainingState, metadata: [String: String] = [:]) {
        self.state = state
        self.metadata = metadata
    }

    /// Writes the checkpoint atomically: `url` holds either the old or the new checkpoint, never a
    /// partial one. A leftover temporary file from a crash is overwritten.
    public func write(to url: URL) throws {
        let temporary = Self.temporaryURL(for: url)
        let data = encoded()
        do {
            try? FileManager.default.removeItem(at: temporary)
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw CheckpointError.cannotWrite(path: temporary.path, reason: "cannot create the file")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.cannotWrite(path: temporary.path, reason: error.localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw CheckpointError.cannotWrite(path: url.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Where `write(to:)` puts the file before renaming it: ".<name>.partial" next to it.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".partial")
    }

    /// Reads and validates a checkpoint file.
    public init(contentsOf url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CheckpointError.notFound(path: url.path)
        }
        guard !isDirectory.boolValue else {
            throw CheckpointError.unreadable(path: url.path, reason: "it is a directory")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, path: url.path)
    }

    // MARK: - Encoding

    /// The file's bytes.
    public func encoded() -> Data {
        let named = tensorList()
        let header = CheckpointHeader(state: state, metadata: metadata, tensors: named.map {
            CheckpointHeader.TensorEntry(group: $0.group, name: $0.name, shape: $0.tensor.shape)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let headerBytes = try! encoder.encode(header)  // plain strings and numbers: cannot fail
        var payload = [UInt8]()
        payload.reserveCapacity(named.reduce(0) { $0 + 4 * $1.tensor.count })
        for entry in named {
            for value in entry.tensor.scalars { payload.append(littleEndian: value.bitPattern) }
        }
        var body = [UInt8](headerBytes)
        body.append(contentsOf: payload)
        var file = Self.magic
        file.append(littleEndian: Self.formatVersion)
        file.append(littleEndian: UInt32(headerBytes.count))
        file.append(littleEndian: UInt64(payload.count))
        file.append(littleEndian: fnv1a64(body))
        file.append(contentsOf: body)
        return Data(file)
    }

    /// Every stored tensor in file order: θ, α, φ (encoder), Adam's first then second moments.
    func tensorList() -> [(group: String, name: String, tensor: Tensor)] {
        let names = state.parameters.names + (state.stepSizes?.names ?? []) + (state.encoderParameters?.names ?? [])
        var list = zip(state.parameters.names, state.parameters.tensors).map { ("theta", $0, $1) }
        if let alpha = state.stepSizes { list += zip(alpha.names, alpha.tensors).map { ("alpha", $0, $1) } }
        if let phi = state.encoderParameters { list += zip(phi.names, phi.tensors).map { ("encoder", $0, $1) } }
        list += zip(names, state.optimizer.firstMoments).map { ("adam.m", $0, $1) }
        list += zip(names, state.optimizer.secondMoments).map { ("adam.v", $0, $1) }
        return list
    }
}

/// FNV-1a, 64 bits: a simple checksum that catches truncation and flipped bytes.
func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
}

extension [UInt8] {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
