// CIFAR-100 binary archive (cifar-100-binary.tar.gz) → CIFAR-FS (Bertinetto et al. 2019, 64/16/20
// classes, as listed in L2B's data/cifar/get_data.py) and FC100 (Oreshkin et al. 2018, 60/20/20 by superclass).

import Datasets
import Foundation

/// The 60,000 CIFAR-100 images grouped by fine label (train.bin records first, then test.bin).
public struct CIFAR100 {
    public var fineNames: [String]
    public var coarseNames: [String]
    /// `coarseOfFine[f]`: the superclass of fine class f.
    public var coarseOfFine: [Int]
    /// `images[f]`: `[n, 32, 32, 3]` bytes of fine class f.
    public var images: [[UInt8]]

    /// Reads `cifar-100-binary.tar.gz` (or an extracted `cifar-100-binary/` folder) from `source`.
    public init(source: URL) throws {
        let archive = source.appendingPathComponent("cifar-100-binary.tar.gz")
        let folder = source.appendingPathComponent("cifar-100-binary")
        var files: [String: [UInt8]] = [:]
        if FileManager.default.fileExists(atPath: archive.path) {
            do {
                for (name, contents) in try TarArchive.files(Gzip.decompress([UInt8](Data(contentsOf: archive)))) {
                    files[(name as NSString).lastPathComponent] = Array(contents)
                }
            } catch { throw DatasetError.badSource(path: archive.path, reason: "\(error)") }
        } else if FileManager.default.fileExists(atPath: folder.path) {
            for name in ["train.bin", "test.bin", "fine_label_names.txt", "coarse_label_names.txt"] {
                files[name] = try? [UInt8](Data(contentsOf: folder.appendingPathComponent(name)))
            }
        } else {
            throw DatasetError.sourceMissing(path: archive.path, hint: "Put the official cifar-100-binary.tar.gz in "
                + "\(source.path), or run with --download.")
        }
        func names(_ file: String) throws -> [String] {
            guard let bytes = files[file] else { throw DatasetError.badSource(path: source.path, reason: "\(file) is missing") }
            return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        fineNames = try names("fine_label_names.txt")
        coarseNames = try names("coarse_label_names.txt")
        guard fineNames.count == 100, coarseNames.count == 20 else {
            throw DatasetError.badSource(path: source.path, reason: "expected 100 fine and 20 coarse label names")
        }
        images = Array(repeating: [], count: 100)
        var coarse = [Int](repeating: -1, count: 100)
        for file in ["train.bin", "test.bin"] {
            guard let bytes = files[file], bytes.count % 3074 == 0 else {
                throw DatasetError.badSource(path: source.path, reason: "\(file) is missing or not a multiple of 3074-byte records")
            }
            for record in stride(from: 0, to: bytes.count, by: 3074) {
                let coarseLabel = Int(bytes[record]), fine = Int(bytes[record + 1])
                guard fine < 100, coarseLabel < 20 else {
                    throw DatasetError.badSource(path: file, reason: "label \(fine)/\(coarseLabel) out of range")
                }
                coarse[fine] = coarseLabel
                // Planes R, G, B of 32×32 → interleaved HWC.
                var image = [UInt8](repeating: 0, count: 3072)
                for pixel in 0..<1024 {
                    for channel in 0..<3 { image[pixel * 3 + channel] = bytes[record + 2 + channel * 1024 + pixel] }
                }
                images[fine] += image
            }
        }
        coarseOfFine = coarse
    }

    /// CIFAR-FS class names (L2B `data/cifar/get_data.py`, which follows Bertinetto et al.).
    public static let cifarFSSplits: [(split: String, classes: [String])] = [
        ("train", ["train", "skyscraper", "turtle", "raccoon", "spider", "orange", "castle", "keyboard", "clock", "pear",
                   "girl", "seal", "elephant", "apple", "aquarium_fish", "bus", "mushroom", "possum", "squirrel", "chair",
                   "tank", "plate", "wolf", "road", "mouse", "boy", "shrew", "couch", "sunflower", "tiger", "caterpillar",
                   "lion", "streetcar", "lawn_mower", "tulip", "forest", "dolphin", "cockroach", "bear", "porcupine", "bee",
                   "hamster", "lobster", "bowl", "can", "bottle", "trout", "snake", "bridge", "pine_tree", "skunk",
                   "lizard", "cup", "kangaroo", "oak_tree", "dinosaur", "rabbit", "orchid", "willow_tree", "ray",
                   "palm_tree", "mountain", "house", "cloud"]),
        ("val", ["otter", "motorcycle", "television", "lamp", "crocodile", "shark", "butterfly", "sea", "beaver", "beetle",
                 "tractor", "flatfish", "maple_tree", "camel", "crab", "cattle"]),
        ("test", ["baby", "bed", "bicycle", "chimpanzee", "fox", "leopard", "man", "pickup_truck", "plain", "poppy",
                  "rocket", "rose", "snail", "sweet_pepper", "table", "telephone", "wardrobe", "whale", "woman", "worm"]),
    ]

    /// FC100 superclass indices (CIFAR-100 coarse labels), as in Oreshkin et al. / torchmeta.
    public static let fc100Splits: [(split: String, superclasses: [Int])] = [
        ("train", [1, 2, 3, 4, 5, 6, 9, 10, 15, 17, 18, 19]), ("val", [8, 11, 13, 16]), ("test", [0, 7, 12, 14]),
    ]

    /// Fine class indices of each split of `benchmark` ("cifar-fs" or "fc100").
    public func splits(_ benchmark: String) throws -> [(split: String, classes: [Int])] {
        if benchmark == "fc100" {
            return Self.fc100Splits.map { split, superclasses in
                (split, (0..<100).filter { superclasses.contains(coarseOfFine[$0]) })
            }
        }
        return try Self.cifarFSSplits.map { split, names in
            (split, try names.map { name in
                guard let index = fineNames.firstIndex(of: name) else {
                    throw DatasetError.badSource(path: "fine_label_names.txt", reason: "no class named \(name)")
                }
                return index
            })
        }
    }

    /// Writes `<benchmark>-{train,val,test}.mlds` (32×32×3).
    public func write(_ benchmark: String, to output: URL) throws -> [ConvertedFile] {
        try splits(benchmark).map { split, classes in
            var writer = DatasetWriter(height: 32, width: 32, channels: 3, description: "\(benchmark) \(split) from the CIFAR-100 "
                + "binary archive: all 600 images per class (train.bin then test.bin order), 32×32×3, uint8 as published")
            for fine in classes { try writer.addClass(name: fineNames[fine], pixels: images[fine]) }
            let url = output.appendingPathComponent("\(benchmark)-\(split).mlds")
            try writer.write(to: url)
            return ConvertedFile(url: url, classes: classes.count, instances: writer.instanceCounts.reduce(0, +))
        }
    }
}
