// metalearn-data: converts official dataset archives into MetaLearn dataset files and inspects
// them. Thin: parse the command line, call DataConversion, print what was written.

import DataConversion
import Datasets
import Foundation
import Kernels

if let reason = CPUFeatures.unsupportedReason() {  // the converters are compiled for the same CPU as the kernels
    FileHandle.standardError.write(Data(("metalearn-data: " + reason + "\n").utf8))
    exit(2)
}

func printWritten(_ files: [ConvertedFile], seconds: Double) {
    for file in files {
        print("wrote \(file.url.path): \(file.classes) classes, \(file.instances) images")
    }
    print(String(format: "done in %.1f s", seconds))
}

func run(_ arguments: Arguments) throws -> Int32 {
    let start = Date()
    switch arguments.command {
    case "inspect":
        guard let path = arguments.positional.first else { throw UsageError("inspect needs a file: inspect <file.mlds>") }
        let (json, ok) = inspectSummary(path: path, verify: !arguments.flags.contains("no-verify"))
        print(json)
        return ok ? 0 : 1
    case "omniglot":
        let output = try arguments.require("output", example: "data/omniglot")
        let source = try sourceFolder(arguments, dataset: .omniglot, output: output)
        let mode = OmniglotConverter.ResizeMode(rawValue: arguments.options["resize"] ?? "lanczos")
        guard let mode else { throw UsageError("--resize must be lanczos or nearest") }
        let size = Int(arguments.options["size"] ?? "28") ?? 0
        guard size >= 1 && size <= 105 else { throw UsageError("--size must be an integer in 1...105") }
        let alphabets = arguments.options["alphabets"].map { Set($0.split(separator: ",").map(String.init)) }
        var splits = arguments.url("vinyals-splits")
        let defaultSplits = source.appendingPathComponent("splits")
        if splits == nil && FileManager.default.fileExists(atPath: defaultSplits.appendingPathComponent("train.json").path) {
            splits = defaultSplits
        }
        if splits == nil { print("no Vinyals split files (--vinyals-splits <dir>): skipping the vinyals-* files") }
        let converter = OmniglotConverter(size: size, resize: mode, alphabets: alphabets)
        let files = try converter.convert(source: source, output: output, vinyalsSplits: splits) { print($0) }
        printWritten(files, seconds: Date().timeIntervalSince(start))
        return 0
    case "fashion-mnist", "mnist":
        let output = try arguments.require("output", example: "data/\(arguments.command)")
        let dataset: OfficialDataset = arguments.command == "mnist" ? .mnist : .fashionMNIST
        let source = try sourceFolder(arguments, dataset: dataset, output: output)
        let files = try MNISTConverter(name: arguments.command).convert(source: source, output: output)
        printWritten(files, seconds: Date().timeIntervalSince(start))
        return 0
    case "cifar-fs", "fc100":
        let output = try arguments.require("output", example: "data/\(arguments.command)")
        let source = try sourceFolder(arguments, dataset: .cifar100, output: output)
        let files = try CIFAR100(source: source).write(arguments.command, to: output)
        printWritten(files, seconds: Date().timeIntervalSince(start))
        return 0
    case "svhn":
        let output = try arguments.require("output", example: "data/svhn")
        let source = try sourceFolder(arguments, dataset: .svhn, output: output)
        let files = try SVHNConverter.convert(source: source, output: output) { print($0) }
        printWritten(files, seconds: Date().timeIntervalSince(start))
        return 0
    case "image-folder":
        let output = try arguments.require("output", example: "data/mini-imagenet")
        let source = try arguments.require("source", example: "mini-imagenet (with train.csv, val.csv, test.csv, images/)")
        let size = Int(arguments.options["size"] ?? "84") ?? 0
        guard size >= 1 && size <= 1024 else { throw UsageError("--size must be an integer in 1...1024") }
        let filter = ResampleFilter(rawValue: arguments.options["resize"] ?? "lanczos")
        guard let filter, filter == .lanczos || filter == .bicubic else {
            throw UsageError("image-folder --resize must be lanczos or bicubic (Pillow's default filter, as l2b resizes)")
        }
        let converter = ImageFolderConverter(name: arguments.options["name"] ?? "mini-imagenet", size: size, filter: filter)
        let files = try converter.convert(source: source, output: output)
        printWritten(files, seconds: Date().timeIntervalSince(start))
        return 0
    case "help", "--help", "-h":
        print(usage)
        return 0
    default:
        throw UsageError("unknown command \"\(arguments.command)\"")
    }
}

/// `--source`, or the download folder when `--download` is given.
func sourceFolder(_ arguments: Arguments, dataset: OfficialDataset, output: URL) throws -> URL {
    if arguments.flags.contains("download") {
        let folder = output.appendingPathComponent("downloads")
        try Downloader.fetch(dataset, into: folder) { print($0) }
        return folder
    }
    return try arguments.require("source", example: "../shared/data/\(dataset.rawValue)")
}

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    exit(try run(arguments))
} catch let error as UsageError {
    FileHandle.standardError.write(Data("metalearn-data: \(error)\n\n\(usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("metalearn-data: \(error)\n".utf8))
    exit(1)
}
