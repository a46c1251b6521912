// Writes MetaLearn dataset files (format version 1, see data-tools/README.md). Classes are
// added one at a time; the file is written atomically. Foundation only.

import Foundation

/// Collects classes of uint8 images and writes them as one dataset file.
///
/// ```
/// var writer = DatasetWriter(height: 28, width: 28, channels: 1, description: "omniglot train")
/// try writer.addClass(name: "Greek/character01", pixels: bytes)   // count · 28 · 28 · 1 bytes
/// try writer.write(to: url)
/// ```
public struct DatasetWriter: Sendable {
    public let height: Int
    public let width: Int
    public let channels: Int
    public var description: String
    public private(set) var classNames: [String] = []
    public private(set) var instanceCounts: [Int] = []
    /// All pixels so far, class after class, `[N, H, W, C]`.
    public private(set) var pixels: [UInt8] = []

    public init(height: Int, width: Int, channels: Int, description: String) {
        precondition((1...DatasetHeader.maxSide).contains(height) && (1...DatasetHeader.maxSide).contains(width),
                     "DatasetWriter: image size \(height)×\(width)")
        precondition((1...DatasetHeader.maxChannels).contains(channels), "DatasetWriter: \(channels) channels")
        self.height = height
        self.width = width
        self.channels = channels
        self.description = description
    }

    public var imageByteCount: Int { height * width * channels }

    /// Appends one class. `pixels` holds `count · H · W · C` bytes, images in order.
    public mutating func addClass<C: Collection>(name: String, pixels classPixels: C) throws
    where C.Element == UInt8 {
        guard !classPixels.isEmpty, classPixels.count % imageByteCount == 0 else {
            throw DatasetError.invalidRequest(
                "DatasetWriter: class \"\(name)\" has \(classPixels.count) bytes, not a positive multiple of "
                    + "\(height)×\(width)×\(channels) = \(imageByteCount)")
        }
        guard name.utf8.count <= DatasetHeader.maxNameBytes else {
            throw DatasetError.invalidRequest("DatasetWriter: class name longer than \(DatasetHeader.maxNameBytes) bytes")
        }
        guard classNames.count < DatasetHeader.maxClasses else {
            throw DatasetError.invalidRequest("DatasetWriter: more than \(DatasetHeader.maxClasses) classes")
        }
        classNames.append(name)
        instanceCounts.append(classPixels.count / imageByteCount)
        pixels.append(contentsOf: classPixels)
    }

    /// The header for the classes added so far.
    public func makeHeader() -> DatasetHeader {
        DatasetHeader(height: height, width: width, channels: channels, classNames: classNames,
                      instanceCounts: instanceCounts, description: description,
                      payloadChecksum: CRC32.checksum(pixels))
    }

    /// The complete file as bytes.
    public func encoded() throws -> Data {
        guard !classNames.isEmpty else {
            throw DatasetError.invalidRequest("DatasetWriter: a dataset file needs at least one class")
        }
        var data = Data(makeHeader().encoded())
        data.append(contentsOf: pixels)
        return data
    }

    /// Writes the file atomically (a temporary file, then a rename), creating folders as needed.
    public func write(to url: URL) throws {
        let data = try encoded()
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw DatasetError.unreadable(path: url.path, reason: "cannot write it: \(error.localizedDescription)")
        }
    }
}
