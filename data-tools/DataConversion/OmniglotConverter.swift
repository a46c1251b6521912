// Omniglot: images_background.zip + images_evaluation.zip (105×105 1-bit PNGs, 1623 characters ×
// 20 drawers) → 28×28 uint8 dataset files, strokes = 255, in the background/evaluation, MAML and Vinyals splits.

import Datasets
import Foundation

/// Converts the official Omniglot archives.
public struct OmniglotConverter {
    /// How 105×105 becomes `size`×`size`.
    public enum ResizeMode: String, CaseIterable, Sendable {
        /// Pillow's Lanczos on the 8-bit image (antialiased; gray levels at stroke edges).
        case lanczos
        /// What MAML's `resize_images.py` really produced: Pillow turns any filter into NEAREST for
        /// 1-bit ("1" mode) images, so its 28×28 images are binary.
        case nearest
    }

    /// One character: its alphabet, name, archive and 20 images.
    public struct Character: Sendable {
        public var alphabet: String
        public var name: String
        public var background: Bool
        /// The PNG entries inside the zip, sorted by path (drawer order).
        public var entries: [ZipArchive.Entry]
        public var label: String { "\(alphabet)/\(name)" }
    }

    public var size: Int
    public var resize: ResizeMode
    /// Convert only these alphabets (nil = all). The splits are still computed over all 1623.
    public var alphabets: Set<String>?

    public init(size: Int = 28, resize: ResizeMode = .lanczos, alphabets: Set<String>? = nil) {
        self.size = size
        self.resize = resize
        self.alphabets = alphabets
    }

    public static let archiveNames = ["images_background.zip", "images_evaluation.zip"]

    /// Opens both archives in `source`.
    public static func openArchives(in source: URL) throws -> [ZipArchive] {
        try archiveNames.map { name in
            let url = source.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.sourceMissing(
                    path: url.path, hint: "Put the official images_background.zip and images_evaluation.zip in "
                        + "\(source.path), or run `metalearn-data omniglot --download --output <dir>`.")
            }
            do { return try ZipArchive(contentsOf: url) } catch { throw DatasetError.badSource(path: url.path, reason: "\(error)") }
        }
    }

    /// Every character listed in the archives' central directories (no decoding), sorted by label.
    public static func characters(in archives: [ZipArchive]) -> [Character] {
        var byLabel: [String: Character] = [:]
        for (index, archive) in archives.enumerated() {
            for entry in archive.files where entry.name.hasSuffix(".png") {
                let parts = entry.name.split(separator: "/").map(String.init)
                guard parts.count == 4 else { continue }  // images_x/Alphabet/characterNN/file.png
                let label = "\(parts[1])/\(parts[2])"
                byLabel[label, default: Character(alphabet: parts[1], name: parts[2], background: index == 0, entries: [])]
                    .entries.append(entry)
            }
        }
        return byLabel.values.map { character in
            var sorted = character
            sorted.entries.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
            return sorted
        }.sorted { Array($0.label.utf8).lexicographicallyPrecedes(Array($1.label.utf8)) }
    }

    /// MAML's split (`data_generator.py`): the character folders, `random.seed(1)`,
    /// `random.shuffle`, then the first 1100 train, the next 100 val, the remaining 423 test.
    /// MAML listed folders with `os.listdir` (file-system order); we start from byte-sorted
    /// `Alphabet/character` paths and use CPython 3's shuffle.
    public static func mamlSplit(_ characters: [Character]) -> (train: [Character], val: [Character], test: [Character]) {
        var shuffled = characters
        var random = PythonRandom(seed: 1)
        random.shuffle(&shuffled)
        return (Array(shuffled.prefix(1100)), Array(shuffled.dropFirst(1100).prefix(100)), Array(shuffled.dropFirst(1200)))
    }

    /// Decodes, resizes and inverts one character's images: `[20, size, size]` bytes, strokes = 255.
    public func pixels(of character: Character, in archives: [ZipArchive], resampler: Resampler) throws -> [UInt8] {
        let archive = archives[character.background ? 0 : 1]
        var out = [UInt8]()
        out.reserveCapacity(character.entries.count * size * size)
        for entry in character.entries {
            let path = entry.name
            let image: DecodedImage
            do {
                image = try PNGDecoder.decode(archive.contents(of: entry))
            } catch {
                throw DatasetError.badSource(path: "\(Self.archiveNames[character.background ? 0 : 1]):\(path)", reason: "\(error)")
            }
            guard image.channels == 1, image.height == resampler.inHeight, image.width == resampler.inWidth else {
                throw DatasetError.badSource(path: path, reason: "expected a \(resampler.inHeight)×\(resampler.inWidth) grayscale PNG, "
                    + "got \(image.height)×\(image.width)×\(image.channels)")
            }
            out += resampler.resize(image.pixels, channels: 1).map { 255 - $0 }
        }
        return out
    }
}
