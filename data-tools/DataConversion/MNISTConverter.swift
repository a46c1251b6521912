// MNIST and Fashion-MNIST: IDX (gz) files → 28×28×1 train/test dataset files, plus L2B's
// out-of-distribution test set (t10k, gray → RGB, resized to 32×32 with Pillow's default filter).

import Datasets
import Foundation

/// Converts an MNIST-format dataset.
public struct MNISTConverter {
    /// "fashion-mnist" or "mnist": the output file prefix.
    public var name: String
    public var classNames: [String]

    public static let fashionClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                           "Sneaker", "Bag", "Ankle boot"]

    public init(name: String) {
        self.name = name
        classNames = name == "fashion-mnist" ? Self.fashionClassNames : (0..<10).map(String.init)
    }

    /// Reads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` from `source`.
    public func load(_ prefix: String, from source: URL) throws -> (images: [UInt8], labels: [UInt8], count: Int) {
        func open(_ stem: String) throws -> IDXFile {
            for candidate in [stem + ".gz", stem] {
                let url = source.appendingPathComponent(candidate)
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                do { return try IDXFile(contentsOf: url) } catch { throw DatasetError.badSource(path: url.path, reason: "\(error)") }
            }
            throw DatasetError.sourceMissing(path: source.appendingPathComponent(stem + ".gz").path,
                                             hint: "Put the four official IDX files in \(source.path), or use --download.")
        }
        let images = try open("\(prefix)-images-idx3-ubyte"), labels = try open("\(prefix)-labels-idx1-ubyte")
        guard images.dimensions.count == 3, images.dimensions[1] == 28, images.dimensions[2] == 28,
              labels.dimensions == [images.dimensions[0]], labels.bytes.allSatisfy({ $0 < 10 }) else {
            throw DatasetError.badSource(path: source.path, reason: "\(prefix): images \(images.dimensions) and labels "
                + "\(labels.dimensions) do not form 28×28 images with labels 0...9")
        }
        return (images.bytes, labels.bytes, labels.bytes.count)
    }

    /// L2B's OOD preprocessing: 28×28 → 32×32 with Pillow's default (bicubic) filter.
    public static let oodResampler = Resampler(from: (28, 28), to: (32, 32), filter: .bicubic)

    /// One OOD image: the gray image resized, then copied to R, G and B (Pillow's `convert("RGB")`
    /// before the resize gives the same bytes, since each channel is resampled alike).
    public static func oodImage(_ gray: [UInt8], _ resampler: Resampler = oodResampler) -> [UInt8] {
        resampler.resize(gray, channels: 1).flatMap { [$0, $0, $0] }
    }

    /// Groups images by label (file order within a class), optionally transformed.
    func writer(images: [UInt8], labels: [UInt8], size: Int, channels: Int, description: String,
                transform: ([UInt8]) -> [UInt8]) throws -> DatasetWriter {
        var perClass = [[UInt8]](repeating: [], count: 10)
        for (index, label) in labels.enumerated() {
            perClass[Int(label)] += transform(Array(images[(index * 784)..<((index + 1) * 784)]))
        }
        var writer = DatasetWriter(height: size, width: size, channels: channels, description: description)
        for (label, pixels) in perClass.enumerated() where !pixels.isEmpty {
            try writer.addClass(name: classNames[label], pixels: pixels)
        }
        return writer
    }

    /// Writes `<name>-train.mlds`, `<name>-test.mlds` and `<name>-ood-test.mlds` into `output`
    /// (`parts` picks any of "train", "test", "ood-test").
    public func convert(source: URL, output: URL, parts: [String] = ["train", "test", "ood-test"]) throws -> [ConvertedFile] {
        var written: [ConvertedFile] = []
        func save(_ writer: DatasetWriter, _ split: String) throws {
            let url = output.appendingPathComponent("\(name)-\(split).mlds")
            try writer.write(to: url)
            written.append(ConvertedFile(url: url, classes: writer.classNames.count, instances: writer.instanceCounts.reduce(0, +)))
        }
        for (prefix, split) in [("train", "train"), ("t10k", "test")]
        where parts.contains(split) || (split == "test" && parts.contains("ood-test")) {
            let data = try load(prefix, from: source)
            if parts.contains(split) {
                try save(writer(images: data.images, labels: data.labels, size: 28, channels: 1,
                                description: "\(name) \(split) (\(prefix) IDX files), 28×28×1, classes = labels 0...9, file order",
                                transform: { $0 }), split)
            }
            if split == "test" && parts.contains("ood-test") {
                let resampler = Self.oodResampler
                try save(writer(images: data.images, labels: data.labels, size: 32, channels: 3,
                                description: "\(name) out-of-distribution test set as in L2B (data/fashion-mnist/get_data.py): "
                                    + "t10k, gray → RGB, 28×28 → 32×32 with Pillow's default resize filter (bicubic since "
                                    + "Pillow 7), classes = labels 0...9",
                                transform: { Self.oodImage($0, resampler) }),
                         "ood-test")
            }
        }
        return written
    }
}
