// Helpers for the CLI tests: temporary folders, a tiny synthetic image dataset written by the test
// itself, the CLI run in-process (exit status) and the built binary run as a subprocess.

import Datasets
import Foundation
@testable import metalearn

func makeFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("metalearn-cli-tests-" + UUID().uuidString)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// tiny-{train,val,test}.mlds in `folder`: 8×8 grey images, `classes` classes of `instances` images
/// each; every class has its own brightness pattern, so the classes can be told apart.
func writeTinyDataset(in folder: URL, classes: Int = 6, instances: Int = 6) throws -> URL {
    for (split, offset) in [("train", 0), ("val", 50), ("test", 100)] {
        var writer = DatasetWriter(height: 8, width: 8, channels: 1, description: "tiny synthetic \(split)")
        for c in 0..<classes {
            var pixels = [UInt8]()
            for i in 0..<instances {
                for p in 0..<64 { pixels.append(UInt8((37 * (c + offset) + 11 * i + (p % 8) * (c + 1) * 9) % 256)) }
            }
            try writer.addClass(name: "class\(c)", pixels: pixels)
        }
        try writer.write(to: folder.appendingPathComponent("tiny-\(split).mlds"))
    }
    return folder.appendingPathComponent("tiny-train.mlds")
}

/// Runs `metalearn <arguments>` in this process and returns its exit status.
func cli(_ arguments: [String]) -> Int32 { CommandLineInterface.run(arguments) }

/// The UsageError message that parsing `train` flags produces, or nil.
func trainUsageError(_ arguments: [String]) -> String? {
    do {
        let flags = try ArgumentList(arguments, command: "train", options: TrainFlags.options, switches: TrainFlags.switches)
        _ = try TrainFlags.parse(flags)
        return nil
    } catch let error as UsageError {
        return error.description
    } catch {
        return "other error: \(error)"
    }
}

/// The built `metalearn` binary, next to this test bundle.
func metalearnBinary() -> URL? {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = executable.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("metalearn")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return nil
}

/// Runs the binary; returns its status, standard output and standard error.
func runBinary(_ arguments: [String]) throws -> (status: Int32, output: String, error: String)? {
    guard let binary = metalearnBinary() else { return nil }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}
