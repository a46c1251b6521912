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

/// <name>-{train,val,test}.mlds in `folder`: size×size grey images, `classes` classes of `instances`
/// images each; every class has its own brightness pattern, so the classes can be told apart. Pixel
/// values stay in `brightness` (datasets in disjoint ranges can be told apart too).
func writeTinyDataset(in folder: URL, classes: Int = 6, instances: Int = 6, name: String = "tiny", size: Int = 8,
                      brightness: ClosedRange<Int> = 0...255) throws -> URL {
    for (split, offset) in [("train", 0), ("val", 50), ("test", 100)] {
        var writer = DatasetWriter(height: size, width: size, channels: 1, description: "\(name) synthetic \(split)")
        for c in 0..<classes {
            var pixels = [UInt8]()
            for i in 0..<instances {
                for p in 0..<(size * size) {
                    let pattern = 37 * (c + offset) + 11 * i + (p % size) * (c + 1) * 9
                    pixels.append(UInt8(brightness.lowerBound + pattern % brightness.count))
                }
            }
            try writer.addClass(name: "class\(c)", pixels: pixels)
        }
        try writer.write(to: folder.appendingPathComponent("\(name)-\(split).mlds"))
    }
    return folder.appendingPathComponent("\(name)-train.mlds")
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

/// A built executable of this package (`metalearn` by default), next to this test bundle.
func metalearnBinary(_ name: String = "metalearn") -> URL? {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var folder = executable.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder = folder.deletingLastPathComponent()
    }
    return nil
}

/// Runs the binary (`metalearn` unless another is named); returns its status, standard output and standard error.
func runBinary(_ arguments: [String], binary name: String = "metalearn") throws
    -> (status: Int32, output: String, error: String)?
{
    guard let binary = metalearnBinary(name) else { return nil }
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
