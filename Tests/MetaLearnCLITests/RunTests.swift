// End-to-end CLI runs on tiny settings: train, resume bit-identically, refuse mismatched or damaged
// resumes, test with fixed episodes and --json, and the demo's JSON line.

import Foundation
import MetaLearning
import Testing
@testable import metalearn

@Suite("CLI runs", .serialized)
struct RunTests {
    static let tinySinusoid = ["--dataset", "sinusoid", "--meta-batch", "2", "--validation-episodes", "2",
                               "--validation-interval", "3", "--checkpoint-interval", "2", "--quiet"]

    static func tinyImages(_ train: String) -> [String] {
        ["--dataset", train, "--way", "3", "--shot", "1", "--query", "2", "--filters", "4", "--model", "conv4-stride2",
         "--meta-batch", "2", "--validation-episodes", "3", "--validation-interval", "3", "--checkpoint-interval", "2",
         "--test-inner-steps", "2", "--quiet"]
    }

    @Test("train 6 iterations = train 3 + resume to 6, checkpoint bytes identical", arguments: ["sinusoid", "images"])
    func resumeIsBitIdentical(kind: String) throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let flags = kind == "sinusoid" ? Self.tinySinusoid : Self.tinyImages(try writeTinyDataset(in: folder).path)
        let straight = folder.appendingPathComponent("straight").path, resumed = folder.appendingPathComponent("resumed").path
        #expect(cli(["train", "--iterations", "6", "--run-dir", straight] + flags) == 0)
        #expect(cli(["train", "--iterations", "3", "--run-dir", resumed] + flags) == 0)
        // Only the run directory and the new length are needed to continue.
        #expect(cli(["train", "--run-dir", resumed, "--resume", "--iterations", "6", "--quiet"]) == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: straight + "/checkpoint.mlck"))
        let b = try Data(contentsOf: URL(fileURLWithPath: resumed + "/checkpoint.mlck"))
        #expect(a == b)
        #expect(try Checkpoint(data: b).state.iteration == 6)
        let log = RunDirectory(url: URL(fileURLWithPath: resumed)).readLog()
        #expect(log.filter { $0.event == "train" }.map(\.iteration) == Array(1...6))
        for name in ["config.json", "results.json", "learning-curve.svg", "best.mlck"] {
            #expect(FileManager.default.fileExists(atPath: resumed + "/" + name), "\(name) missing")
        }
    }

    @Test("--primal-replay off gives the same checkpoint bytes, is recorded, and may change on resume")
    func primalReplayOff() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let flags = Self.tinyImages(try writeTinyDataset(in: folder).path) + ["--inner-steps", "2"]
        let on = folder.appendingPathComponent("on").path, off = folder.appendingPathComponent("off").path
        #expect(cli(["train", "--iterations", "3", "--run-dir", on] + flags) == 0)
        #expect(cli(["train", "--iterations", "2", "--run-dir", off, "--primal-replay", "off"] + flags) == 0)
        let config = try RunDirectory(url: URL(fileURLWithPath: off)).readJSON(TrainConfig.self, from: "config.json")
        #expect(config.primalReplay == false)
        #expect(cli(["train", "--run-dir", off, "--resume", "--iterations", "3", "--primal-replay", "on", "--quiet"]) == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: on + "/checkpoint.mlck"))
        let b = try Data(contentsOf: URL(fileURLWithPath: off + "/checkpoint.mlck"))
        #expect(a == b)
        #expect(trainUsageError(["--run-dir", off, "--primal-replay", "maybe"])?.contains("primal-replay") == true)
    }

    @Test("the sinusoid MLP with batch norm trains, resumes and tests; its offsets are meta-learned, not adapted")
    func sinusoidWithBatchNorm() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("bn").path
        let flags = ["--model", "mlp-batch-norm", "--batch-norm", "transductive"] + Self.tinySinusoid
        #expect(cli(["train", "--iterations", "4", "--run-dir", run] + flags) == 0)
        let config = try RunDirectory(url: URL(fileURLWithPath: run)).readJSON(TrainConfig.self, from: "config.json")
        #expect(config.model == .mlpBatchNorm && config.batchNorm == .transductive)
        let state = try Checkpoint(contentsOf: URL(fileURLWithPath: run + "/checkpoint.mlck")).state
        #expect(state.parameters.names == ["dense1/weights", "dense1/bias", "bn1/offset", "dense2/weights", "dense2/bias",
                                           "bn2/offset", "dense3/weights", "dense3/bias"])
        #expect(state.parameters.tensors[2].scalars.contains { $0 != 0 }, "the offsets are meta-learned")
        #expect(cli(["train", "--run-dir", run, "--resume", "--iterations", "6", "--quiet"]) == 0)
        #expect(trainUsageError(["--run-dir", run, "--resume", "--model", "mlp"])?.contains("--model mlp") == true)
        #expect(cli(["test", "--run-dir", run, "--episodes", "3", "--test-inner-steps", "2", "--json"]) == 0)
    }

    @Test("resume refuses changed settings, a missing run and a damaged checkpoint; a new run refuses to overwrite")
    func resumeProblems() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run").path
        #expect(cli(["train", "--iterations", "2", "--run-dir", run] + Self.tinySinusoid) == 0)
        #expect(trainUsageError(["--run-dir", run, "--resume", "--inner-lr", "0.5"])?.contains("--inner-lr 0.5 (saved: 0.01)") == true)
        #expect(cli(["train", "--iterations", "4", "--run-dir", run] + Self.tinySinusoid) == 2, "would overwrite a run")
        #expect(cli(["train", "--run-dir", folder.appendingPathComponent("none").path, "--resume"]) == 2)
        let checkpoint = URL(fileURLWithPath: run + "/checkpoint.mlck")
        var bytes = try Data(contentsOf: checkpoint)
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: checkpoint)
        let result = try #require(try runBinary(["train", "--run-dir", run, "--resume", "--iterations", "4", "--quiet"]))
        #expect(result.status == 2)
        #expect(result.error.contains("is damaged"), "\(result.error)")
    }

    @Test("a NaN during training exits with status 1 and says what to change")
    func nanStopsTraining() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try #require(try runBinary(["train", "--iterations", "3", "--inner-lr", "1e30", "--inner-steps", "3",
                                                 "--run-dir", folder.path] + Self.tinySinusoid))
        #expect(result.status == 1)
        #expect(result.error.contains("meta-iteration 1 produced a non-finite") && result.error.contains("No checkpoint"),
                "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/checkpoint.mlck"))
    }

    @Test("test evaluates fixed episodes, saves and replays them, and ends with one JSON line")
    func testCommand() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let train = try writeTinyDataset(in: folder).path
        let run = folder.appendingPathComponent("run").path
        #expect(cli(["train", "--iterations", "3", "--run-dir", run] + Self.tinyImages(train)) == 0)
        let arguments = ["test", "--run-dir", run, "--episodes", "5", "--test-inner-steps", "2", "--json"]
        let first = try #require(try runBinary(arguments), "the metalearn binary was not built")
        #expect(first.status == 0, "\(first.error)")
        let last = try #require(first.output.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(object["episodes"] as? Int == 5 && object["method"] as? String == "maml")
        #expect(object["batchNorm"] as? String == "transductive" && object["ci95"] is Double)
        let accuracy = try #require(object["accuracy"] as? Double)
        #expect(accuracy >= 0 && accuracy <= 1)
        #expect((object["perStep"] as? [Any])?.count == 3)
        let saved = try FileManager.default.contentsOfDirectory(atPath: run + "/test-episodes")
        #expect(saved == ["test-3w1s2q-seed1-n5.json"])
        let again = try #require(try runBinary(arguments))
        #expect(again.output.split(separator: "\n").last == last, "replayed episodes give the same result")
        #expect(cli(["test", "--run-dir", run, "--episodes-file", folder.appendingPathComponent("nothing.json").path]) == 2)
        // Saved episodes replayed on another dataset file: refused with a message, not a crash.
        let other = folder.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let otherTrain = try writeTinyDataset(in: other, classes: 6, instances: 7)
        let savedEpisodes = run + "/test-episodes/" + saved[0]
        let replay = try #require(try runBinary(["test", "--run-dir", run, "--test-set", otherTrain.path,
                                                 "--episodes-file", savedEpisodes]))
        #expect(replay.status == 2)
        #expect(replay.error.contains("cannot be replayed"), "\(replay.error)")
    }

    @Test("demo ends with exactly one JSON line {\"sinusoid\": {\"5\": [3 numbers], \"10\": [3 numbers]}}")
    func demo() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try #require(try runBinary(["demo", "--iterations", "2", "--episodes", "3", "--validation-episodes", "2",
                                                 "--run-dir", folder.path, "--quiet"]), "the metalearn binary was not built")
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: [String: [Double]]])
        #expect(object.keys.sorted() == ["sinusoid"])
        #expect(object["sinusoid"]!.keys.sorted() == ["10", "5"])
        #expect(object["sinusoid"]!.values.allSatisfy { $0.count == 3 && $0.allSatisfy { $0.isFinite && $0 > 0 } })
        #expect(lines.filter { $0.hasPrefix("{") }.count == 1)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/sinusoid-5shot.svg"))
    }
}
