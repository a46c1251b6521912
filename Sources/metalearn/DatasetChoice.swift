// What `--dataset` names: the built-in sinusoid tasks, or a dataset file (or a directory holding
// one) with its validation and test siblings, e.g. omniglot-maml-{train,val,test}.mlds.

import Datasets
import Foundation

/// Which defaults apply (see TrainConfig.defaults).
enum DatasetProfile: String, Codable {
    /// MAML's sinusoid regression; no files needed.
    case sinusoid
    /// Omniglot (the file name or description says so): cbfinn/maml's settings.
    case omniglot
    /// Any other image dataset (miniImageNet, CIFAR-FS, ...): MAML miniImageNet / l2b settings.
    case images
}

/// The files of an image dataset: training split and, when found, validation and test splits.
struct DatasetSplits: Codable, Equatable {
    var train: String
    var validation: String?
    var test: String?
}

enum DatasetChoice {
    static let convertHint = "Convert a dataset first, e.g. `swift run -c release metalearn-data omniglot --source "
        + "<folder with images_background.zip and images_evaluation.zip> --output data`, or use --dataset sinusoid."

    /// Resolves `--dataset`: "sinusoid", a training file, or a directory with one training file.
    static func resolve(_ argument: String) throws -> (DatasetProfile, DatasetSplits?) {
        if argument == "sinusoid" { return (.sinusoid, nil) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw UsageError("--dataset \(argument): no such file or directory. " + convertHint)
        }
        let trainURL: URL
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
            let candidates = names.filter { $0.hasSuffix(".mlds") && $0.lowercased().contains("train") }.sorted()
            guard !candidates.isEmpty else {
                throw UsageError("--dataset \(argument): the directory holds no training file (*train*.mlds). " + convertHint)
            }
            guard candidates.count == 1 else {
                throw UsageError("--dataset \(argument): the directory holds several training files ("
                    + candidates.joined(separator: ", ") + "). Pass one of them, e.g. --dataset "
                    + URL(fileURLWithPath: argument).appendingPathComponent(candidates[0]).path)
            }
            trainURL = URL(fileURLWithPath: argument).appendingPathComponent(candidates[0])
        } else {
            trainURL = URL(fileURLWithPath: argument)
        }
        let splits = DatasetSplits(train: trainURL.path, validation: sibling(of: trainURL, ["val", "valid", "validation"]),
                                   test: sibling(of: trainURL, ["test"]))
        let file = try open(splits.train)
        let text = (trainURL.lastPathComponent + " " + file.description).lowercased()
        return (text.contains("omniglot") ? .omniglot : .images, splits)
    }

    /// The file named like `url` with its last "train" replaced by one of `replacements`, if it exists.
    static func sibling(of url: URL, _ replacements: [String]) -> String? {
        let name = url.lastPathComponent
        guard let range = name.range(of: "train", options: .backwards) else { return nil }
        for replacement in replacements {
            let candidate = url.deletingLastPathComponent()
                .appendingPathComponent(name.replacingCharacters(in: range, with: replacement))
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
        }
        return nil
    }

    /// Opens a dataset file; its errors say what is wrong and what to run.
    static func open(_ path: String) throws -> DatasetFile {
        do {
            return try DatasetFile(contentsOf: URL(fileURLWithPath: path))
        } catch let error as DatasetError {
            throw UsageError(error.description)
        }
    }

    /// A sampler for `config` on `file`; impossible shapes become usage errors.
    static func sampler(_ file: DatasetFile, _ config: EpisodeConfig, split: String) throws -> EpisodeSampler {
        guard file.height == file.width else {
            throw UsageError("\(file.path) has \(file.height)×\(file.width) images; the conv nets need square images. "
                + "Convert it again with a square --size.")
        }
        do {
            return try EpisodeSampler(dataset: file, config: config)
        } catch let error as DatasetError {
            throw UsageError("the \(split) split cannot supply these episodes: \(error.description)")
        }
    }
}
