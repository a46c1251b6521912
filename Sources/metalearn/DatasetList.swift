// `--dataset a-train.mlds,b-train.mlds,...`: several training files for l2b's multi-dataset
// meta-training. Every entry resolves like a single --dataset; all must share image size and channels.

import Datasets
import Foundation

extension DatasetChoice {
    /// Resolves `--dataset`: one dataset (a list of one) or a comma-separated list of training
    /// files or directories. A path that exists as given is one dataset, even with a comma in it.
    static func resolveList(_ argument: String) throws -> (DatasetProfile, [DatasetSplits]) {
        if argument == "sinusoid" || FileManager.default.fileExists(atPath: argument) || !argument.contains(",") {
            let (profile, splits) = try resolve(argument)
            guard let splits else { return (profile, []) }
            try checkSameImageShape([splits])
            return (profile, [splits])
        }
        let entries = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !entries.contains(where: \.isEmpty) else {
            throw UsageError("--dataset \(argument): an empty entry in the list. Separate training files with single "
                + "commas, e.g. --dataset a-train.mlds,b-train.mlds")
        }
        guard !entries.contains("sinusoid") else {
            throw UsageError("--dataset sinusoid cannot be part of a list: multi-dataset training takes image dataset "
                + "files only.")
        }
        var profiles: [DatasetProfile] = [], list: [DatasetSplits] = []
        for entry in entries {
            let (profile, splits) = try resolve(entry)
            guard let splits else { continue }
            guard !list.contains(where: { $0.train == splits.train }) else {
                throw UsageError("--dataset lists \(splits.train) twice; give each training file once.")
            }
            profiles.append(profile)
            list.append(splits)
        }
        try checkSameImageShape(list)
        return (profiles.allSatisfy { $0 == .omniglot } ? .omniglot : .images, list)
    }

    /// One network reads every dataset: same height, width and channels, training and validation files alike.
    static func checkSameImageShape(_ list: [DatasetSplits]) throws {
        guard let first = list.first else { return }
        // Headers only: the payload checksums are verified when the files are opened for training.
        func header(_ path: String) throws -> DatasetFile {
            do { return try DatasetFile(contentsOf: URL(fileURLWithPath: path), verifyChecksum: false) } catch let error as DatasetError {
                throw UsageError(error.description)
            }
        }
        let reference = try header(first.train)
        func shape(_ file: DatasetFile) -> String { "\(file.height)×\(file.width)×\(file.channels)" }
        for splits in list {
            for path in [splits.train, splits.validation].compactMap({ $0 }) {
                let file = try header(path)
                guard shape(file) == shape(reference) else {
                    throw UsageError("--dataset: every file must have the same image size and channels, but "
                        + "\(first.train) has \(shape(reference)) images and \(path) has \(shape(file)). Convert them "
                        + "to one size (e.g. 32×32×3, as l2b does for its multi-dataset experiment).")
                }
            }
        }
    }

    /// A short name for a training file: "aircraft" for ".../aircraft-train.mlds".
    static func shortName(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent.replacingOccurrences(of: "-train", with: "")
    }
}
