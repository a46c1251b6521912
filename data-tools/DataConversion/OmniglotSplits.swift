// Writes the Omniglot dataset files: background / evaluation (the official halves), MAML's
// 1100/100/423 split, and the Vinyals split read from its JSON files.

import Datasets
import Foundation

/// One written dataset file, for the converter's report.
public struct ConvertedFile: Sendable, Equatable {
    public var url: URL
    public var classes: Int
    public var instances: Int
}

extension OmniglotConverter {
    /// Reads the Vinyals split (`train.json`, `val.json`, `test.json`, each
    /// `{"background"|"evaluation": {alphabet: [character, …]}}`) as sets of "Alphabet/character".
    public static func vinyalsSplit(in folder: URL) throws -> [(name: String, labels: Set<String>)] {
        try ["train", "val", "test"].map { split in
            let url = folder.appendingPathComponent("\(split).json")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.sourceMissing(path: url.path, hint: "The Vinyals split needs train.json, val.json and "
                    + "test.json in \(folder.path) (pass the folder with --vinyals-splits).")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)),
                  let halves = object as? [String: [String: [String]]] else {
                throw DatasetError.badSource(path: url.path, reason: "expected {\"background\": {alphabet: [characters]}, …}")
            }
            var labels = Set<String>()
            for alphabets in halves.values {
                for (alphabet, characters) in alphabets { for character in characters { labels.insert("\(alphabet)/\(character)") } }
            }
            return ("vinyals-\(split)", labels)
        }
    }

    /// Converts the archives in `source` and writes `omniglot-<split>.mlds` files into `output`.
    ///
    /// - Parameter vinyalsSplits: folder with the Vinyals JSON files (skipped when nil).
    /// - Parameter progress: called with a line of text now and then.
    public func convert(source: URL, output: URL, vinyalsSplits: URL?,
                        progress: (String) -> Void = { _ in }) throws -> [ConvertedFile] {
        let archives = try Self.openArchives(in: source)
        let all = Self.characters(in: archives)
        let background = all.filter(\.background), evaluation = all.filter { !$0.background }
        guard background.count == 964, evaluation.count == 659, all.allSatisfy({ $0.entries.count == 20 }) else {
            throw DatasetError.badSource(path: source.path, reason: "expected 964 + 659 characters with 20 drawers each, found "
                + "\(background.count) + \(evaluation.count)")
        }
        var splits: [(name: String, characters: [Character])] = [("background", background), ("evaluation", evaluation)]
        let maml = Self.mamlSplit(all)
        splits += [("maml-train", maml.train), ("maml-val", maml.val), ("maml-test", maml.test)]
        if let folder = vinyalsSplits {
            for (name, labels) in try Self.vinyalsSplit(in: folder) {
                splits.append((name, all.filter { labels.contains($0.label) }))
            }
        }
        // Decode each selected character once.
        let selected = all.filter { alphabets?.contains($0.alphabet) ?? true }
        let resampler = Resampler(from: (105, 105), to: (size, size), filter: resize == .lanczos ? .lanczos : .nearest)
        var pixels: [String: [UInt8]] = [:]
        for (index, character) in selected.enumerated() {
            pixels[character.label] = try self.pixels(of: character, in: archives, resampler: resampler)
            if index % 200 == 199 { progress("decoded \(index + 1) of \(selected.count) characters") }
        }
        var written: [ConvertedFile] = []
        for (name, characters) in splits {
            let chosen = characters.filter { pixels[$0.label] != nil }
            guard !chosen.isEmpty else { continue }
            var writer = DatasetWriter(height: size, width: size, channels: 1, description: description(split: name))
            for character in chosen { try writer.addClass(name: character.label, pixels: pixels[character.label]!) }
            let url = output.appendingPathComponent("omniglot-\(name).mlds")
            try writer.write(to: url)
            written.append(ConvertedFile(url: url, classes: chosen.count, instances: writer.instanceCounts.reduce(0, +)))
        }
        return written
    }

    func description(split: String) -> String {
        let resizeText = resize == .lanczos
            ? "Pillow-equivalent Lanczos on the 8-bit image"
            : "Pillow NEAREST (what MAML's resize_images.py produced from 1-bit PNGs)"
        let subset = alphabets.map { " Subset of alphabets: \($0.sorted().joined(separator: ", "))." } ?? ""
        return "Omniglot \(split) split from images_background.zip + images_evaluation.zip; 105×105 → \(size)×\(size) "
            + "(\(resizeText)); inverted so strokes = 255; classes are Alphabet/character, 20 drawers each.\(subset)"
    }
}
