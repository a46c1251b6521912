// SVHN (train_32x32.mat, test_32x32.mat) → L2B's out-of-distribution sets (data/svhn/get_data.py):
// val = 600 train images per digit chosen by val_idx.npy; test = every test image, per digit.

import Datasets
import Foundation

public enum SVHNConverter {
    /// L2B's class order: label − 1, so classes are digits 1…9 then 0 (SVHN labels 0 as 10).
    public static let classNames = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]

    /// Images of one .mat file grouped by class: `[class][n·32·32·3]`, file order within a class.
    public static func imagesByClass(_ url: URL) throws -> [[UInt8]] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.sourceMissing(path: url.path, hint: "Put the official SVHN .mat files there, or use --download.")
        }
        do {
            let file = try MATFile(contentsOf: url)
            guard let x = file["X"], let pixels = x.uint8Values, x.dimensions.count == 4,
                  Array(x.dimensions.prefix(3)) == [32, 32, 3], let y = file["y"] else {
                throw FormatError("expected X (32×32×3×N uint8) and y")
            }
            let count = x.dimensions[3]
            let labels = try y.doubleValues()
            guard labels.count == count, labels.allSatisfy({ (1...10).contains($0) }) else {
                throw FormatError("y has \(labels.count) labels in 1...10 for \(count) images")
            }
            var byClass = [[UInt8]](repeating: [], count: 10)
            var image = [UInt8](repeating: 0, count: 3072)
            for n in 0..<count {
                // MATLAB column-major X[row, column, channel, n] → HWC.
                for channel in 0..<3 {
                    for column in 0..<32 {
                        for row in 0..<32 {
                            image[(row * 32 + column) * 3 + channel] = pixels[row + 32 * (column + 32 * (channel + 3 * n))]
                        }
                    }
                }
                byClass[Int(labels[n]) - 1] += image
            }
            return byClass
        } catch let error as DatasetError {
            throw error
        } catch {
            throw DatasetError.badSource(path: url.path, reason: "\(error)")
        }
    }

    /// Writes `svhn-val.mlds` (if val_idx.npy is in `source`) and `svhn-test.mlds`.
    public static func convert(source: URL, output: URL, log: (String) -> Void = { _ in }) throws -> [ConvertedFile] {
        var written: [ConvertedFile] = []
        func save(_ perClass: [[UInt8]], _ split: String, _ description: String) throws {
            var writer = DatasetWriter(height: 32, width: 32, channels: 3, description: description)
            for (index, pixels) in perClass.enumerated() { try writer.addClass(name: classNames[index], pixels: pixels) }
            let url = output.appendingPathComponent("svhn-\(split).mlds")
            try writer.write(to: url)
            written.append(ConvertedFile(url: url, classes: perClass.count, instances: writer.instanceCounts.reduce(0, +)))
        }
        let indexFile = source.appendingPathComponent("val_idx.npy")
        if FileManager.default.fileExists(atPath: indexFile.path) {
            let train = try imagesByClass(source.appendingPathComponent("train_32x32.mat"))
            let indices: NPYInt64Matrix
            do { indices = try NPYInt64Matrix([UInt8](Data(contentsOf: indexFile))) } catch {
                throw DatasetError.badSource(path: indexFile.path, reason: "\(error)")
            }
            guard indices.rows == 10 else { throw DatasetError.badSource(path: indexFile.path, reason: "expected 10 rows") }
            let chosen: [[UInt8]] = try (0..<10).map { c in
                let available = train[c].count / 3072
                return try (0..<indices.columns).flatMap { k -> ArraySlice<UInt8> in
                    let index = indices.values[c * indices.columns + k]
                    guard index >= 0 && index < available else {
                        throw DatasetError.badSource(path: indexFile.path, reason: "index \(index) for class \(c) (\(available) images)")
                    }
                    return train[c][(index * 3072)..<((index + 1) * 3072)]
                }
            }
            try save(chosen, "val", "SVHN validation set as in L2B (--ver 1): train_32x32.mat images chosen per class by "
                + "val_idx.npy; classes are digits 1…9, 0 (label − 1)")
        } else {
            log("no val_idx.npy in \(source.path) (it is in L2B's data/svhn/): skipping svhn-val")
        }
        try save(imagesByClass(source.appendingPathComponent("test_32x32.mat")), "test",
                 "SVHN test set as in L2B: every test_32x32.mat image, by class (digits 1…9, 0), file order")
        return written
    }
}
