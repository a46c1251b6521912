// The result of `metalearn test`: a table for people, one JSON object for scripts (the last line
// with --json), and a JSON file in the run directory.

import Foundation
import MetaLearning

/// Scores after one number of inner steps; accuracy (classification) or mse (regression).
struct StepScore: Codable {
    var steps: Int
    var accuracy: Double?
    var mse: Double?
    /// 95% half-width of the accuracy (classification) or of the mse (regression).
    var ci95: Double
    /// Mean query cross-entropy (classification only).
    var loss: Double?
    /// Episodes whose inner loop diverged (loss NaN or infinite); the means include them.
    var diverged: Int
}

struct TestReport: Codable {
    var method: String
    var batchNorm: String
    var lossReduction: String
    var model: String
    var checkpoint: String
    var iteration: Int
    var dataset: String
    var split: String
    var way: Int?
    /// Support examples per class (sinusoid: points); nil for any-shot episodes.
    var shot: Int?
    /// Any-shot episodes (l2b): 1…maxShot shots per class, class or task imbalance.
    var anyShot: Bool
    var maxShot: Int?
    var query: Int
    var episodes: Int
    var seed: UInt64?
    var episodesFile: String?
    /// Inner steps of the headline numbers (the most evaluated).
    var steps: Int
    /// Headline: after `steps` steps.
    var accuracy: Double?
    var mse: Double?
    var ci95: Double
    var perStep: [StepScore]

    /// - Parameters:
    ///   - shot: the fixed shot, or nil with `maxShot` for any-shot episodes.
    init(config: TrainConfig, checkpoint: String, iteration: Int, dataset: String, split: String, shot: Int?,
         maxShot: Int? = nil, query: Int, seed: UInt64?, episodesFile: String?, result: EvaluationResult) {
        method = config.method.rawValue
        batchNorm = kebabCase(config.batchNorm.rawValue)
        // Bayesian TAML's inner loss is l2b's class-balanced one whatever --loss-reduction says.
        lossReduction = config.method == .taml ? "class-balanced" : kebabCase(config.lossReduction.rawValue)
        model = config.modelDescription
        self.checkpoint = checkpoint
        self.iteration = iteration
        self.dataset = dataset
        self.split = split
        way = config.way
        self.shot = shot
        anyShot = maxShot != nil
        self.maxShot = maxShot
        self.query = query
        episodes = result.episodes
        self.seed = seed
        self.episodesFile = episodesFile
        perStep = result.perStep.map { step in
            if let accuracy = step.accuracy {
                return StepScore(steps: step.steps, accuracy: accuracy.mean, mse: nil, ci95: accuracy.ci95,
                                 loss: step.loss.mean, diverged: step.divergedEpisodes)
            }
            return StepScore(steps: step.steps, accuracy: nil, mse: step.loss.mean, ci95: step.loss.ci95, loss: nil,
                             diverged: step.divergedEpisodes)
        }
        let final = perStep[perStep.count - 1]
        steps = final.steps
        accuracy = final.accuracy
        mse = final.mse
        ci95 = final.ci95
    }

    /// e.g. "5-way 1-shot, 15 queries per class" or "10-way 1…50 shots (any-shot), 15 queries per class".
    var shape: String {
        let shots = maxShot.map { "1…\($0) shots (any-shot)" } ?? "\(shot ?? 0)-shot"
        return way.map { "\($0)-way \(shots), \(query) queries per class" } ?? "\(shots), \(query) query points"
    }

    /// The human-readable table.
    var table: String {
        var lines = [accuracy != nil ? "steps   accuracy             loss" : "steps   mean squared error"]
        for score in perStep {
            if let accuracy = score.accuracy {
                lines.append(String(format: "%5d   %6.2f%% ± %5.2f%%    %.4f", score.steps, 100 * accuracy, 100 * score.ci95,
                                    score.loss ?? 0))
            } else {
                lines.append(String(format: "%5d   %.4f ± %.4f", score.steps, score.mse ?? 0, score.ci95))
            }
            if score.diverged > 0 { lines[lines.count - 1] += "   (\(score.diverged) of \(episodes) episodes diverged)" }
        }
        return lines.joined(separator: "\n")
    }

    /// One line of JSON with sorted keys.
    var jsonLine: String {
        // Plain numbers, strings and arrays; non-finite numbers become "NaN"/"Infinity" strings.
        String(decoding: try! JSONEncoder.metalearn().encode(self), as: UTF8.self)
    }
}
