// Multi-dataset training (l2b): the round robin is seen in the sampler and in datasets.jsonl,
// validation is the mean over the datasets, mismatched files are refused, resume is bit-identical,
// and `test` reports every dataset.

import Foundation
import MetaLearning
import Testing
@testable import metalearn

@Suite("CLI multi-dataset training", .serialized)
struct MultiDatasetTests {
    static func tinyFlags(_ dataset: String) -> [String] {
        ["--dataset", dataset, "--way", "3", "--shot", "1", "--query", "2", "--filters", "4", "--model", "conv4-stride2",
         "--meta-batch", "2", "--validation-episodes", "3", "--validation-interval", "2", "--checkpoint-interval", "2",
         "--log-interval", "1", "--test-inner-steps", "2", "--quiet"]
    }

    /// l2b's Bayesian TAML any-shot sampler on the tiny files (1…3 shots, 2 queries).
    static let tamlFlags = ["--method", "taml", "--any-shot", "--max-shot", "3", "--print-balancing-every", "2"]

    static func datasetRecords(_ run: String) throws -> [DatasetLogRecord] {
        let text = try String(contentsOfFile: run + "/" + DatasetLog.fileName, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder.metalearn().decode(DatasetLogRecord.self, from: Data($0.utf8)) }
    }

    @Test("the round robin takes iteration i's whole meta-batch from dataset i mod D (l2b) and resumes in step")
    func roundRobinSource() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let dark = try writeTinyDataset(in: folder, name: "dark", brightness: 0...100)
        let bright = try writeTinyDataset(in: folder, name: "bright", brightness: 155...255)
        let flags = try ArgumentList(Self.tinyFlags(dark.path + "," + bright.path) + ["--run-dir", folder.path + "/run"],
                                     command: "train", options: TrainFlags.options, switches: TrainFlags.switches)
        let config = try TrainFlags.parse(flags).config
        let setup = try ImageSetup(config, validationSeed: 1)
        let usage = DatasetUsage()
        var source = try setup.taskSource(randomState: 7, usage: usage)
        var states: [UInt64] = [], batches: [[[Float]]] = [], used: [Int] = [], seen: [String] = []
        for _ in 0..<4 {
            states.append(source.randomState)
            let batch = source.nextMetaBatch(2)
            batches.append(batch.map { $0.supportInputs.scalars + $0.queryInputs.scalars })
            used.append(try #require(usage.last).dataset)
            let pixels = batch.flatMap { $0.supportInputs.scalars + $0.queryInputs.scalars }
            seen.append(pixels.allSatisfy { $0 > 0.5 } ? "bright" : pixels.allSatisfy { $0 < 0.5 } ? "dark" : "mixed")
        }
        // Iteration 1 uses dataset 1 % 2 = bright (l2b: id_dataset[i % D], i from 1); every task of a batch agrees.
        #expect(seen == ["bright", "dark", "bright", "dark"])
        #expect(used == [1, 0, 1, 0])
        // A source resumed after 2 iterations (random state from the checkpoint) draws batches 3 and 4 again.
        var resumed = try setup.taskSource(randomState: states[2], usage: DatasetUsage())
        resumed.resume(afterIteration: 2)
        for expected in batches[2...] {
            let same = resumed.nextMetaBatch(2).map { $0.supportInputs.scalars + $0.queryInputs.scalars } == expected
            #expect(same)
        }
        #expect(batches[0] != batches[2], "different draws from the same dataset")
    }

    @Test("training alternates the datasets in datasets.jsonl; validation logs each and selects on their mean")
    func trainingLog() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = try writeTinyDataset(in: folder, name: "a").path, b = try writeTinyDataset(in: folder, classes: 5, name: "b").path
        let run = folder.appendingPathComponent("run").path
        #expect(cli(["train", "--iterations", "4", "--run-dir", run] + Self.tinyFlags(a + "," + b)) == 0)
        let records = try Self.datasetRecords(run)
        let train = records.filter { $0.event == "train" }
        #expect(train.map(\.iteration) == [1, 2, 3, 4])
        #expect(train.map(\.dataset) == [1, 0, 1, 0])
        #expect(train.map(\.file) == [b, a, b, a])
        #expect(train.allSatisfy { $0.iterations == 1 })
        let log = RunDirectory(url: URL(fileURLWithPath: run)).readLog()
        #expect(log.filter { $0.event == "train" }.map(\.loss) == train.map(\.loss), "one iteration per logging window")
        let validation = records.filter { $0.event == "validation" }
        #expect(validation.map(\.iteration) == [2, 2, 4, 4])
        #expect(validation.map(\.file) == [a, b, a, b].map { $0.replacingOccurrences(of: "-train", with: "-val") })
        for (index, record) in log.filter({ $0.event == "validation" }).enumerated() {
            let pair = validation[(2 * index)...].prefix(2).compactMap(\.accuracy)
            #expect(pair.count == 2)
            #expect(abs(try #require(record.accuracy) - (pair[0] + pair[1]) / 2) < 1e-12, "mean over the datasets")
        }
        let config = try RunDirectory(url: URL(fileURLWithPath: run)).readJSON(TrainConfig.self, from: "config.json")
        #expect(config.dataset == a + "," + b)
        #expect(config.datasets?.map(\.train) == [a, b])
        #expect(config.datasets?.map(\.test) == [a, b].map { $0.replacingOccurrences(of: "-train", with: "-test") })
        for name in ["validation-episodes-0.json", "validation-episodes-1.json", "best.mlck", "results.json"] {
            #expect(FileManager.default.fileExists(atPath: run + "/" + name), "\(name) missing")
        }
        #expect(config.runDirectory == run && config.runName == "a+b-maml-3w1s-seed1")
    }

    @Test("a list of files with different image sizes, a repeated file, an empty entry or sinusoid is a usage error")
    func listErrors() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = try writeTinyDataset(in: folder, name: "a").path, big = try writeTinyDataset(in: folder, name: "big", size: 10).path
        let run = ["--run-dir", folder.appendingPathComponent("run").path]
        let message = trainUsageError(["--dataset", a + "," + big] + run)
        #expect(message?.contains("same image size and channels") == true, "\(message ?? "no error")")
        #expect(message?.contains("8×8×1") == true && message?.contains("10×10×1") == true, "\(message ?? "no error")")
        #expect(trainUsageError(["--dataset", a + "," + a] + run)?.contains("twice") == true)
        #expect(trainUsageError(["--dataset", a + ",," + big] + run)?.contains("empty entry") == true)
        #expect(trainUsageError(["--dataset", a + ",sinusoid"] + run)?.contains("cannot be part of a list") == true)
        let result = try #require(try runBinary(["train", "--dataset", a + "," + big] + run), "the metalearn binary was not built")
        #expect(result.status == 2)
        #expect(result.error.hasPrefix("metalearn: --dataset: every file must have the same image size"), "\(result.error)")
        #expect(!FileManager.default.fileExists(atPath: run[1] + "/config.json"))
    }

    @Test("multi-dataset: train 6 = train 3 + resume to 6, checkpoint bytes and per-dataset log identical",
          arguments: ["maml", "taml"])
    func resumeIsBitIdentical(method: String) throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = try writeTinyDataset(in: folder, name: "a").path, b = try writeTinyDataset(in: folder, name: "b").path
        let flags = Self.tinyFlags(a + "," + b) + (method == "taml" ? Self.tamlFlags : [])
        let straight = folder.appendingPathComponent("straight").path, resumed = folder.appendingPathComponent("resumed").path
        #expect(cli(["train", "--iterations", "6", "--run-dir", straight] + flags) == 0)
        #expect(cli(["train", "--iterations", "3", "--run-dir", resumed] + flags) == 0)
        #expect(cli(["train", "--run-dir", resumed, "--resume", "--iterations", "6", "--quiet"]) == 0)
        let first = try Data(contentsOf: URL(fileURLWithPath: straight + "/checkpoint.mlck"))
        let second = try Data(contentsOf: URL(fileURLWithPath: resumed + "/checkpoint.mlck"))
        #expect(first == second)
        #expect(try Checkpoint(data: second).state.iteration == 6)
        // The resumed run also validated at its first end, iteration 3; everything else is the same.
        let records = try Self.datasetRecords(resumed).filter { !($0.event == "validation" && $0.iteration == 3) }
        #expect(records == (try Self.datasetRecords(straight)))
        #expect(records.filter { $0.event == "train" }.map(\.dataset) == [1, 0, 1, 0, 1, 0])
        if method == "taml" { #expect(FileManager.default.fileExists(atPath: resumed + "/balancing.txt")) }
    }

    @Test("test of a multi-dataset any-shot TAML run: every dataset's test file, one JSON object each; --test-set still one file")
    func testEachDataset() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = try writeTinyDataset(in: folder, name: "a").path, b = try writeTinyDataset(in: folder, name: "b").path
        let ood = try writeTinyDataset(in: folder, classes: 4, instances: 7, name: "ood")
            .path.replacingOccurrences(of: "-train", with: "-test")
        let run = folder.appendingPathComponent("run").path
        #expect(cli(["train", "--iterations", "2", "--run-dir", run] + Self.tinyFlags(a + "," + b) + Self.tamlFlags) == 0)
        let test = ["test", "--run-dir", run, "--episodes", "3", "--mc-samples", "2", "--json"]
        let result = try #require(try runBinary(test), "the metalearn binary was not built")
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("3-way 1…3 shots (any-shot), 2 queries per class"), "\(result.output)")
        let last = try #require(result.output.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let reports = try #require(object["datasets"] as? [[String: Any]])
        #expect(reports.map { $0["dataset"] as? String } == [a, b].map { $0.replacingOccurrences(of: "-train", with: "-test") })
        for report in reports {
            #expect(report["anyShot"] as? Bool == true && report["maxShot"] as? Int == 3 && report["shot"] == nil)
            #expect(report["episodes"] as? Int == 3 && report["method"] as? String == "taml")
        }
        let accuracies = reports.compactMap { $0["accuracy"] as? Double }
        #expect(accuracies.count == 2)
        #expect(abs(try #require(object["meanAccuracy"] as? Double) - (accuracies[0] + accuracies[1]) / 2) < 1e-12)
        let saved = try FileManager.default.contentsOfDirectory(atPath: run + "/test-episodes").sorted()
        #expect(saved == ["test-a-3w1-3s2q-seed1-n3.json", "test-b-3w1-3s2q-seed1-n3.json"])
        let single = try #require(try runBinary(test + ["--test-set", ood]))
        #expect(single.status == 0, "\(single.error)")
        let oodLine = try #require(single.output.split(separator: "\n").last)
        let oodObject = try #require(try JSONSerialization.jsonObject(with: Data(oodLine.utf8)) as? [String: Any])
        #expect(oodObject["dataset"] as? String == ood && oodObject["datasets"] == nil && oodObject["anyShot"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: run + "/test-episodes/given-file-ood-test-3w1-3s2q-seed1-n3.json"))
        #expect(cli(["test", "--run-dir", run, "--episodes-file", run + "/test-episodes/" + saved[0]]) == 2)
    }

    @Test("--any-shot without --query uses 15 queries, whatever the dataset's default; --query and resume keep theirs")
    func anyShotQueryDefault() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // An Omniglot-profile file: without --any-shot its queries follow the shot.
        let omniglot = try writeTinyDataset(in: folder, name: "omniglot-tiny").path
        func config(_ arguments: [String]) throws -> TrainConfig {
            let flags = try ArgumentList(arguments + ["--run-dir", folder.path + "/run"], command: "train",
                                         options: TrainFlags.options, switches: TrainFlags.switches)
            return try TrainFlags.parse(flags).config
        }
        #expect(try config(["--dataset", omniglot, "--shot", "3"]).query == 3)
        #expect(try config(["--dataset", omniglot, "--shot", "3", "--method", "taml"]).query == 3)
        #expect(try config(["--dataset", omniglot, "--shot", "3", "--method", "taml", "--any-shot"]).query == 15)
        #expect(try config(["--dataset", omniglot, "--method", "taml", "--any-shot"]).query == 15)
        #expect(try config(["--dataset", omniglot, "--method", "taml", "--any-shot", "--query", "4"]).query == 4)
        // A saved any-shot run with 2 queries resumes with 2, even when --any-shot is repeated.
        let run = folder.appendingPathComponent("run").path
        let tiny = try writeTinyDataset(in: folder).path
        #expect(cli(["train", "--iterations", "1", "--run-dir", run] + Self.tinyFlags(tiny) + Self.tamlFlags) == 0)
        let flags = try ArgumentList(["--run-dir", run, "--resume", "--any-shot", "--iterations", "2"], command: "train",
                                     options: TrainFlags.options, switches: TrainFlags.switches)
        let resumed = try TrainFlags.parse(flags).config
        #expect(resumed.query == 2 && resumed.taml?.maxShot == 3 && resumed.taml?.anyShot == true)
    }

    @Test("the default run name says the shot range of an any-shot run")
    func anyShotRunName() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let omniglot = try writeTinyDataset(in: folder, name: "omniglot-tiny").path
        func name(_ arguments: [String]) throws -> String {
            let flags = try ArgumentList(["--dataset", omniglot] + arguments, command: "train",
                                         options: TrainFlags.options, switches: TrainFlags.switches)
            let config = try TrainFlags.parse(flags).config
            #expect(config.runDirectory == "runs/" + config.runName)
            return config.runName
        }
        #expect(try name(["--method", "taml", "--any-shot"]) == "omniglot-tiny-taml-5w1-50s-seed1")
        #expect(try name(["--method", "taml", "--any-shot", "--max-shot", "5", "--way", "3"]) == "omniglot-tiny-taml-3w1-5s-seed1")
        #expect(try name(["--method", "taml", "--shot", "2"]) == "omniglot-tiny-taml-5w2s-seed1")
        #expect(try name(["--method", "maml"]) == "omniglot-tiny-maml-5w1s-seed1")
    }
}
