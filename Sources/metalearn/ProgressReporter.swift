// Training progress: on a terminal, one redrawn bar with iterations/s, losses and ETA; when
// stdout is a file or a pipe, plain lines every 5% and at every validation.

import Foundation
import Kernels
import MetaLearning

final class ProgressReporter {
    let total: Int
    let firstIteration: Int
    let isTerminal: Bool
    let quiet: Bool
    /// "mse" for regression, "acc" for classification.
    let metricName: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var smoothedLoss: Double?
    private var smoothedAccuracy: Double?
    private var validationText = ""
    private var current: Int

    init(total: Int, firstIteration: Int, regression: Bool, quiet: Bool) {
        self.total = total
        self.firstIteration = firstIteration
        current = firstIteration
        self.quiet = quiet
        isTerminal = isatty(STDOUT_FILENO) != 0
        metricName = regression ? "mse" : "acc"
    }

    func handle(_ event: TrainingEvent) {
        guard !quiet else { return }
        switch event {
        case .iteration(let metrics):
            current = metrics.iteration
            smoothedLoss = smooth(smoothedLoss, Double(metrics.queryLoss))
            if let accuracy = metrics.queryAccuracy { smoothedAccuracy = smooth(smoothedAccuracy, Double(accuracy)) }
            if isTerminal {
                if Date().timeIntervalSince(lastDraw) > 0.1 || current == total { drawBar() }
            } else if current % max(1, total / 20) == 0 && current != total {
                emit(statusLine())
            }
        case .validation(let record, let isBest):
            let value = record.accuracy.map { percent($0) } ?? String(format: "%.4f", record.loss)
            validationText = "val \(metricName) \(value)"
            emit(String(format: "validation at %d: %@ %@ ± %@ after %d steps%@", record.iteration, metricName, value,
                        record.accuracy != nil ? percent(record.ci95 ?? 0) : String(format: "%.4f", record.ci95 ?? 0),
                        record.steps ?? 0, isBest ? " (best so far)" : ""))
        case .trainLog, .checkpoint:
            break
        }
    }

    /// Ends the bar with a newline and a summary.
    func finish() {
        guard !quiet else { return }
        if isTerminal { drawBar(); print("") }
        let seconds = Date().timeIntervalSince(start)
        let peak = Memory.peakResidentMiB().map { String(format: ", peak memory %.0f MiB", $0) } ?? ""
        print(String(format: "trained %d iterations in %@ (%.1f it/s)%@", current - firstIteration, duration(seconds),
                     Double(current - firstIteration) / max(seconds, 1e-9), peak))
    }

    /// Prints a permanent line (above the bar on a terminal).
    func emit(_ line: String) {
        guard !quiet else { return }
        if isTerminal { print("\r\u{1B}[K" + line); drawBar() } else { print(line) }
        fflush(nil)
    }

    private func drawBar() {
        lastDraw = Date()
        let fraction = Double(current) / Double(max(total, 1))
        let width = 24, filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        print("\r\u{1B}[K[\(bar)] " + statusLine(), terminator: "")
        fflush(nil)
    }

    private func statusLine() -> String {
        let elapsed = Date().timeIntervalSince(start), done = current - firstIteration
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? duration(Double(total - current) / rate) : "?"
        var parts = [String(format: "%d/%d (%.0f%%)", current, total, 100 * Double(current) / Double(max(total, 1))),
                     String(format: "%.1f it/s", rate)]
        if let smoothedLoss { parts.append(String(format: "loss %.4f", smoothedLoss)) }
        if let smoothedAccuracy { parts.append("acc " + percent(smoothedAccuracy)) }
        if !validationText.isEmpty { parts.append(validationText) }
        parts.append("ETA " + eta)
        return parts.joined(separator: "  ")
    }

    /// Exponential moving average over about 50 iterations.
    private func smooth(_ old: Double?, _ new: Double) -> Double { old.map { 0.98 * $0 + 0.02 * new } ?? new }
}

func percent(_ fraction: Double) -> String { String(format: "%.2f%%", 100 * fraction) }

/// "45s", "3m07s", "2h05m".
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
}
