// Reader for MetaLearn dataset files: validates the whole file, then serves uint8 images
// straight from the memory-mapped payload. Foundation only; never traps on bad bytes.

import Foundation

/// A dataset file opened for reading: classes of equally sized uint8 images (HWC).
///
/// The file is memory-mapped; `image(ofClass:instance:)` copies one image out, and
/// `copyImage(ofClass:instance:rotation:into:)` writes it as floats in [0, 1].
public struct DatasetFile: Sendable {
    /// Where the file came from (a path, or a name given for in-memory bytes).
    public let path: String
    public let header: DatasetHeader
    /// True when the payload CRC-32 was computed on open and matched.
    public let checksumVerified: Bool
    private let storage: Data
    private let payloadOffset: Int
    /// `classStarts[c]` is the index of the first image of class `c` in the payload.
    private let classStarts: [Int]

    /// Opens and validates a dataset file.
    ///
    /// - Parameter verifyChecksum: also check the payload CRC-32 (one pass over the pixels).
    /// - Throws: `DatasetError` with a message that says what is wrong and what to run.
    public init(contentsOf url: URL, verifyChecksum: Bool = true) throws {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError.fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else {
            throw DatasetError.unreadable(path: path, reason: "it is a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
        try self.init(data: data, name: path, verifyChecksum: verifyChecksum)
    }

    /// Validates dataset bytes already in memory (tests, fuzzing, embedded fixtures).
    public init(data: Data, name: String = "<memory>", verifyChecksum: Bool = true) throws {
        let parsed = try data.withUnsafeBytes {
            try DatasetHeader.parse($0, path: name, verifyPayload: verifyChecksum)
        }
        self.path = name
        self.header = parsed.header
        self.checksumVerified = verifyChecksum
        self.storage = data
        self.payloadOffset = parsed.payloadOffset
        var starts = [Int]()
        starts.reserveCapacity(parsed.header.instanceCounts.count)
        var next = 0
        for count in parsed.header.instanceCounts {
            starts.append(next)
            next += count
        }
        self.classStarts = starts
    }

    public var height: Int { header.height }
    public var width: Int { header.width }
    public var channels: Int { header.channels }
    public var classCount: Int { header.instanceCounts.count }
    public var classNames: [String] { header.classNames }
    public var instanceCounts: [Int] { header.instanceCounts }
    public var description: String { header.description }
    public var totalInstances: Int { header.totalInstances }
    /// Bytes (= pixels × channels) in one image.
    public var imageByteCount: Int { header.imageByteCount }

    /// Calls `body` with the bytes of one image, `[H, W, C]` row-major.
    public func withImageBytes<R>(ofClass classIndex: Int, instance: Int,
                                  _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(classIndex >= 0 && classIndex < classCount,
                     "DatasetFile: class \(classIndex) is outside 0..<\(classCount)")
        precondition(instance >= 0 && instance < header.instanceCounts[classIndex],
                     "DatasetFile: instance \(instance) is outside 0..<\(header.instanceCounts[classIndex]) of class \(classIndex)")
        let start = payloadOffset + (classStarts[classIndex] + instance) * imageByteCount
        return try storage.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[start..<(start + imageByteCount)]))
        }
    }

    /// One image as bytes, `[H, W, C]`.
    public func image(ofClass classIndex: Int, instance: Int) -> [UInt8] {
        withImageBytes(ofClass: classIndex, instance: instance) { Array($0) }
    }

    /// Writes one image as floats `pixel / 255` in `[H, W, C]` order, rotated counter-clockwise
    /// by `rotation`·90° (MAML's `tf.image.rot90`; needs a square image when rotation is odd).
    public func copyImage(ofClass classIndex: Int, instance: Int, rotation: Int = 0,
                          into destination: UnsafeMutablePointer<Float>) {
        let h = height, w = width, c = channels
        withImageBytes(ofClass: classIndex, instance: instance) { bytes in
            ImageRotation.copyRotated(bytes, height: h, width: w, channels: c,
                                      quarterTurns: rotation, into: destination)
        }
    }
}
