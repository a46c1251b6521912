// `metalearn test` of a multi-dataset run without --test-set: every training dataset's test (or
// val) sibling in turn, as l2b's meta_test does for its ID datasets; one report per dataset.

import Datasets
import Foundation
import MetaLearning

/// The JSON of a multi-dataset test: one `TestReport` per dataset and their mean.
struct MultiDatasetTestReport: Codable {
    var method: String
    var checkpoint: String
    var iteration: Int
    /// "test" or "val": the sibling of every training file that was evaluated.
    var split: String
    /// Inner steps of the headline numbers.
    var steps: Int
    /// Mean over the datasets of their accuracy after `steps` steps, and its 95% half-width √(Σ ci_d²)/D.
    var meanAccuracy: Double
    var ci95: Double
    /// One report per training dataset, in --dataset order.
    var datasets: [TestReport]

    var jsonLine: String { String(decoding: try! JSONEncoder.metalearn().encode(self), as: UTF8.self) }
}

extension TestCommand {
    static func testEachDataset(_ flags: ArgumentList, config: TrainConfig, run: RunDirectory, checkpoint: Checkpoint,
                                checkpointURL: URL, steps: Int, count: Int, seed: UInt64) throws {
        let split = flags.string("split") ?? "test"
        guard split == "test" || split == "val" else { throw UsageError("--split must be test or val, got '\(split)'.") }
        guard !flags.has("episodes-file") else {
            throw UsageError("--episodes-file holds episodes of one dataset file; this run trained on several. Add "
                + "--test-set <that file.mlds>.")
        }
        let datasets = config.imageDatasets
        let paths = try datasets.map { splits in
            guard let path = split == "test" ? splits.test : splits.validation else {
                throw UsageError("no \(split) split was found next to \(splits.train). Evaluate another file with "
                    + "--test-set <file.mlds>.")
            }
            return path
        }
        print("metalearn test: \(config.method.rawValue), batch norm \(kebabCase(config.batchNorm.rawValue)), "
            + "\(checkpointURL.path) (iteration \(checkpoint.state.iteration))")
        print("  multi-dataset run: the \(split) split of each of its \(datasets.count) datasets in turn")
        var reports: [TestReport] = []
        for (splits, path) in zip(datasets, paths) {
            let name = DatasetChoice.shortName(splits.train)
            print("\n\(name): \(path)")
            let report = try testImages(flags, config: config, run: run, checkpoint: checkpoint,
                                        checkpointURL: checkpointURL, file: try DatasetChoice.open(path), split: split,
                                        label: "\(split)-\(name)", steps: steps, count: count, seed: seed)
            print("  \(report.shape), \(report.episodes) fixed episodes (\(report.split))")
            print(report.table)
            reports.append(report)
        }
        let accuracies = reports.map { report in
            MeanWithInterval(mean: report.accuracy ?? .nan, ci95: report.ci95, count: report.episodes)
        }
        let mean = DatasetLog.meanOfMeans(accuracies)
        print(String(format: "\nmean over the %d datasets after %d inner step(s): %@ ± %@", reports.count, reports[0].steps,
                     percent(mean.mean), percent(mean.ci95)))
        let summary = MultiDatasetTestReport(
            method: config.method.rawValue, checkpoint: checkpointURL.path, iteration: checkpoint.state.iteration,
            split: split, steps: reports[0].steps, meanAccuracy: mean.mean, ci95: mean.ci95, datasets: reports)
        try run.write(Data((summary.jsonLine + "\n").utf8), to: "test-results.json")
        if flags.has("json") { print(summary.jsonLine) }
    }
}

extension MeanWithInterval {
    /// A summary known by its mean and half-width (the standard deviation follows from them).
    init(mean: Double, ci95: Double, count: Int) {
        self.init([mean])
        self.mean = mean
        self.ci95 = ci95
        self.count = count
        standardDeviation = ci95 * Double(count).squareRoot() / 1.96
    }
}
