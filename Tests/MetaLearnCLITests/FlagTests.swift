// CLI flag handling: every mistake is a clear message and exit status 2, never a crash; the
// defaults follow the dataset; --method reaches the learner.

import Foundation
import MetaLearning
import NN
import Testing
@testable import metalearn

@Suite("CLI flags")
struct FlagTests {
    @Test("mistakes give a message that says what to do", arguments: [
        (["--bogus", "1"], "unknown flag --bogus"),
        (["--methd", "maml"], "Did you mean --method?"),
        (["--shot"], "--shot needs a value"),
        (["--method", "reptile"], "must be one of maml, fomaml, metasgd"),
        (["--loss-reduction", "sum"], "mean, sum-over-shots"),
        (["--shot", "0"], "--shot must be at least 1"),
        (["--shot", "two"], "--shot needs a whole number"),
        (["--inner-lr", "-0.1"], "--inner-lr must be positive"),
        (["--meta-lr", "nan"], "--meta-lr needs a number"),
        (["--clip", "0"], "--clip must be positive"),
        (["--seed", "-1"], "--seed needs a whole number"),
        (["--iterations", "5", "--iterations", "6"], "given twice"),
        (["--way", "5"], "--way does not apply to --dataset sinusoid"),
        (["--model", "conv4-stride2"], "is an image model; --dataset sinusoid takes mlp or mlp-batch-norm"),
        (["--batch-norm", "transductive"], "--batch-norm needs a model with batch norm: add --model mlp-batch-norm"),
        (["--dataset", "/no/such/file.mlds"], "no such file or directory"),
        (["--dataset", "sinusoid", "extra"], "unexpected argument 'extra'"),
        (["--quiet=yes"], "--quiet takes no value"),
    ] as [([String], String)])
    func usageErrors(arguments: [String], expected: String) {
        let message = trainUsageError(arguments)
        #expect(message?.contains(expected) == true, "\(arguments): \(message ?? "no error")")
    }

    @Test("enumeration flags are written in kebab-case")
    func kebabCaseChoices() throws {
        let flags = try ArgumentList(["--batch-norm", "transductive-adapted", "--loss-reduction", "running"], command: "train",
                                     options: TrainFlags.options, switches: TrainFlags.switches)
        #expect(try flags.choice("batch-norm", BatchNormPolicy.self) == .transductiveAdapted)
        do {
            _ = try flags.choice("loss-reduction", LossReduction.self)
            Issue.record("'running' is not a loss reduction")
        } catch let error as UsageError {
            #expect(error.description == "--loss-reduction must be one of mean, sum-over-shots; got 'running'.")
        }
    }

    @Test("usage errors exit with status 2 (in-process and from the real binary)")
    func exitStatus() throws {
        #expect(cli(["train", "--bogus"]) == 2)
        #expect(cli(["frobnicate"]) == 2)
        #expect(cli(["test"]) == 2)
        #expect(cli(["demo", "--iterations", "0"]) == 2)
        #expect(cli(["train", "--help"]) == 0 && cli(["test", "-h"]) == 0 && cli(["demo", "--help"]) == 0)
        let result = try #require(try runBinary(["train", "--inner-steps", "many"]), "the metalearn binary was not built")
        #expect(result.status == 2)
        #expect(result.error.hasPrefix("metalearn: --inner-steps needs a whole number"))
    }

    @Test("--method selects the learner: fomaml is first order, maml second order, metasgd learns α")
    func methodReachesLearner() throws {
        for (name, firstOrder, learnsStepSizes) in [("maml", false, false), ("fomaml", true, false), ("metasgd", false, true)] {
            let flags = try ArgumentList(["--method", name, "--run-dir", "/tmp/unused"], command: "train",
                                         options: TrainFlags.options, switches: TrainFlags.switches)
            let learner = try TrainFlags.parse(flags).config.learner(MLP())
            #expect(learner.method.rawValue == name)
            #expect(learner.method.isFirstOrder == firstOrder)
            #expect(learner.method.learnsStepSizes == learnsStepSizes)
        }
    }

    @Test("defaults: sinusoid is MAML-tf's setting, Omniglot cbfinn's (20-way switches to 5 steps, α 0.1, batch 16)")
    func defaults() throws {
        let sinusoid = TrainConfig.defaults(profile: .sinusoid, way: 5)
        #expect(sinusoid.shot == 10 && sinusoid.query == 10 && sinusoid.innerSteps == 1 && sinusoid.innerLearningRate == 0.01)
        #expect(sinusoid.metaBatchSize == 25 && sinusoid.metaLearningRate == 0.001 && sinusoid.lossReduction == .mean)
        let omniglot = TrainConfig.defaults(profile: .omniglot, way: 5)
        #expect(omniglot.model == .conv4Stride2 && omniglot.filters == 64 && omniglot.innerLearningRate == 0.4)
        #expect(omniglot.way == 5 && omniglot.shot == 1 && omniglot.query == 1 && omniglot.innerSteps == 1)
        let images = TrainConfig.defaults(profile: .images, way: 5)
        #expect(images.query == 15 && images.innerSteps == 5 && images.clip == 10 && images.model == .conv4MaxPool)
        #expect(omniglot.metaBatchSize == 32 && omniglot.lossReduction == .sumOverShots && omniglot.rotations)
        let twenty = TrainConfig.defaults(profile: .omniglot, way: 20)
        #expect(twenty.innerSteps == 5 && twenty.innerLearningRate == 0.1 && twenty.metaBatchSize == 16)
        let flags = try ArgumentList(["--shot", "5", "--run-dir", "/tmp/unused"], command: "train",
                                     options: TrainFlags.options, switches: TrainFlags.switches)
        #expect(try TrainFlags.parse(flags).config.query == 5, "sinusoid queries follow the shot")
    }

    @Test("impossible episode shapes and too-small images are usage errors on a real dataset file")
    func episodeShapes() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let train = try writeTinyDataset(in: folder).path
        let run = folder.appendingPathComponent("run").path
        let result = try #require(try runBinary(["train", "--dataset", train, "--shot", "4", "--query", "4",
                                                 "--run-dir", run, "--quiet"]), "the metalearn binary was not built")
        #expect(result.status == 2)
        #expect(result.error.contains("needs at least 8 per class") && result.error.contains("Lower the shot"), "\(result.error)")
        #expect(cli(["train", "--dataset", train, "--way", "7", "--run-dir", run, "--quiet"]) == 2)
        #expect(cli(["train", "--dataset", train, "--model", "conv4-max-pool", "--query", "2", "--run-dir", run, "--quiet"]) == 2)
        #expect(!FileManager.default.fileExists(atPath: run + "/checkpoint.mlck"))
    }

    @Test("a directory with one training file is accepted; its val and test siblings are found")
    func datasetDirectory() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try writeTinyDataset(in: folder)
        let (profile, splits) = try DatasetChoice.resolve(folder.path)
        #expect(profile == .images)
        #expect(splits?.train.hasSuffix("tiny-train.mlds") == true)
        #expect(splits?.validation?.hasSuffix("tiny-val.mlds") == true && splits?.test?.hasSuffix("tiny-test.mlds") == true)
        try Data().write(to: folder.appendingPathComponent("other-train.mlds"))
        #expect(throws: UsageError.self) { try DatasetChoice.resolve(folder.path) }
    }
}
