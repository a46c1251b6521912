// miniImageNet / CUB / GTSRB from an image folder and split CSVs (Ravi & Larochelle format: a header,
// then `filename,label` rows). Images are PNG, PPM or PGM (JPEG goes through data-tools/decode_jpeg.py first).

import Datasets
import Foundation

public struct ImageFolderConverter {
    /// Output prefix, e.g. "mini-imagenet" or "cub".
    public var name: String
    /// Output side (84 for miniImageNet in MAML); images of another size are resized with `filter`.
    public var size: Int
    /// Pillow's filter for the resize: Lanczos (MAML's miniImageNet) or bicubic (Pillow's default, l2b).
    public var filter: ResampleFilter

    public init(name: String, size: Int = 84, filter: ResampleFilter = .lanczos) {
        self.name = name
        self.size = size
        self.filter = filter
    }

    /// Formats read directly; any other row (JPEG) is looked up as `<stem>.png`, decode_jpeg.py's output.
    static let directExtensions: Set<String> = ["png", "ppm", "pgm", "pnm"]

    /// The file for a CSV row: the name itself if it is a PNG/PPM/PGM file that exists, else `<stem>.png`.
    static func imageURL(for file: String, in images: URL) -> URL {
        let direct = images.appendingPathComponent(file)
        if directExtensions.contains(direct.pathExtension.lowercased()) && FileManager.default.fileExists(atPath: direct.path) {
            return direct
        }
        return images.appendingPathComponent((file as NSString).deletingPathExtension + ".png")
    }

    /// Decodes a PNG, or a binary PPM (P6) / PGM (P5), chosen by the file's first bytes.
    public static func decodeImage(_ bytes: [UInt8]) throws -> DecodedImage {
        if bytes.starts(with: PNGDecoder.signature) { return try PNGDecoder.decode(bytes) }
        if NetPBMDecoder.hasMagic(bytes) { return try NetPBMDecoder.decode(bytes) }
        throw FormatError("neither PNG nor binary PPM/PGM (a JPEG has to go through data-tools/decode_jpeg.py first)")
    }

    /// The (filename, label) rows of a split CSV, header skipped.
    public static func readCSV(_ url: URL) throws -> [(file: String, label: String)] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw DatasetError.sourceMissing(path: url.path, hint: "Each split needs <split>.csv with rows filename,label.")
        }
        return try text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.allSatisfy(\.isEmpty) { return nil }
            guard fields.count == 2 else { throw DatasetError.badSource(path: url.path, reason: "bad row \"\(line)\"") }
            return (fields[0], fields[1])
        }
    }

    /// Writes `<name>-<split>.mlds` for every `<split>.csv` (train, val, test) found in `source`.
    public func convert(source: URL, output: URL) throws -> [ConvertedFile] {
        var written: [ConvertedFile] = []
        let images = source.appendingPathComponent("images")
        for split in ["train", "val", "test"] {
            let csv = source.appendingPathComponent("\(split).csv")
            guard FileManager.default.fileExists(atPath: csv.path) else { continue }
            var order: [String] = [], byLabel: [String: [UInt8]] = [:]
            for (file, label) in try Self.readCSV(csv) {
                let url = Self.imageURL(for: file, in: images)
                guard let bytes = try? [UInt8](Data(contentsOf: url)) else {
                    let direct = Self.directExtensions.contains((file as NSString).pathExtension.lowercased())
                    throw DatasetError.sourceMissing(path: url.path, hint: direct
                        ? "\(csv.lastPathComponent) names \(file), which is not in \(images.path) (nor its .png)."
                        : "Decode the JPEG images first: `python3 data-tools/decode_jpeg.py --source <jpeg folder> "
                            + "--output \(images.path) --size \(size)` (see data-tools/README.md).")
                }
                var image: DecodedImage
                do { image = try Self.decodeImage(bytes) } catch { throw DatasetError.badSource(path: url.path, reason: "\(error)") }
                if image.channels == 1 { image = DecodedImage(height: image.height, width: image.width, channels: 3,
                                                              pixels: image.pixels.flatMap { [$0, $0, $0] }) }
                let pixels = (image.height == size && image.width == size) ? image.pixels
                    : Resample.resize(image.pixels, height: image.height, width: image.width, channels: 3,
                                      toHeight: size, toWidth: size, filter: filter)
                if byLabel[label] == nil { order.append(label) }
                byLabel[label, default: []] += pixels
            }
            guard !order.isEmpty else { continue }
            var writer = DatasetWriter(height: size, width: size, channels: 3, description: "\(name) \(split) from \(split).csv + "
                + "images/ (PNG/PPM/PGM), \(size)×\(size)×3 (\(filter.rawValue) resize); classes in CSV order, images in CSV order")
            for label in order { try writer.addClass(name: label, pixels: byLabel[label]!) }
            let url = output.appendingPathComponent("\(name)-\(split).mlds")
            try writer.write(to: url)
            written.append(ConvertedFile(url: url, classes: order.count, instances: writer.instanceCounts.reduce(0, +)))
        }
        guard !written.isEmpty else {
            throw DatasetError.sourceMissing(path: source.appendingPathComponent("train.csv").path,
                                             hint: "Put train.csv / val.csv / test.csv and images/ in \(source.path).")
        }
        return written
    }
}
