// The l2b balancing-variable printouts (misc.print_balancing_variables): γ per layer and ω per
// class from posterior means on a few validation tasks, as text tables and SVG plots.

import Autodiff
import Foundation
import NN

/// One task's balancing variables from the posterior means.
public struct BalancingSnapshot: Sendable, Equatable {
    /// The task's number in the printout (its position among the sampled tasks).
    public var task: Int
    /// Support examples per class, in class order.
    public var classSizes: [Int]
    /// exp(μ_γ) per layer (convs, then the head); nil without γ.
    public var gamma: [Float]?
    /// softmax(μ_ω) over the classes, in class order; nil without ω.
    public var omega: [Float]?

    public init(task: Int, classSizes: [Int], gamma: [Float]?, omega: [Float]?) {
        self.task = task
        self.classSizes = classSizes
        self.gamma = gamma
        self.omega = omega
    }

    /// The support size N.
    public var supportSize: Int { classSizes.reduce(0, +) }
}

extension BayesianTAML {
    /// exp(μ_γ) and softmax(μ_ω) for `task` (posterior means, not samples, as l2b prints).
    /// - Precondition: the encoder is on and `validate(task, parameters:)` passes.
    public func balancingSnapshot(encoderParameters: Parameters, task: FewShotTask, number: Int) -> BalancingSnapshot {
        guard case .classes(let labels, let way) = task.supportTargets else {
            preconditionFailure(TAMLError.notClassification.description)
        }
        let tape = Tape(recording: false)
        let phi = encoderParameters.tensors.map { tape.variable(Dual($0), needsGradient: false) }
        let q = encoder.posteriors(images: tape.constant(task.supportInputs), labels: labels, way: way, parameters: phi)
        let sizes = (0..<way).map { c in labels.filter { $0 == Int32(c) }.count }
        return BalancingSnapshot(task: number, classSizes: sizes,
                                 gamma: options.gamma ? q.gamma.mean.value.scalars.map { Foundation.exp($0) } : nil,
                                 omega: options.omega ? softmax(q.omega.mean.value.scalars) : nil)
    }
}

/// softmax over a short list, computed stably.
private func softmax(_ x: [Float]) -> [Float] {
    let largest = x.max() ?? 0
    let e = x.map { Foundation.exp($0 - largest) }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
}

/// The l2b tables. Tasks sorted by N (ties keep their order); in the ω table, each task's classes
/// sorted by size, printed as sizes `-->` weights:
///
///     *** Gamma for task imbalance ***
///     conv1 conv2 conv3 conv4 dense
///     task 1: N= 57 0.772 0.775 0.523 0.627 9.438
///     *** Omega for class imbalance ***
///     C1 C2 C3 C4 C5 C1 C2 C3 C4 C5
///     task 1: 1 4 6 17 29 --> 0.444 0.273 0.198 0.056 0.029
public func balancingTables(_ snapshots: [BalancingSnapshot]) -> String {
    let sorted = snapshots.enumerated().sorted { ($0.element.supportSize, $0.offset) < ($1.element.supportSize, $1.offset) }
        .map(\.element)
    func values(_ list: [Float]) -> String { list.map { String(format: "%.3f", $0) }.joined(separator: " ") }
    var lines: [String] = []
    if let layers = sorted.first?.gamma?.count {
        lines.append("*** Gamma for task imbalance ***")
        lines.append(((1..<layers).map { "conv\($0)" } + ["dense"]).joined(separator: " "))
        for s in sorted { lines.append("task \(s.task): N=" + String(format: "%3d", s.supportSize) + " " + values(s.gamma!)) }
    }
    if let way = sorted.first?.omega?.count {
        lines.append("*** Omega for class imbalance ***")
        let header = (1...way).map { "C\($0)" }.joined(separator: " ")
        lines.append(header + " " + header)
        for s in sorted {
            let order = s.classSizes.indices.sorted { (s.classSizes[$0], $0) < (s.classSizes[$1], $1) }
            lines.append("task \(s.task): " + order.map { String(s.classSizes[$0]) }.joined(separator: " ")
                + " --> " + values(order.map { s.omega![$0] }))
        }
    }
    return lines.map { $0 + "\n" }.joined()
}

/// γ of every layer against the support size N (one point series per layer).
public func gammaPlot(_ snapshots: [BalancingSnapshot], iteration: Int) -> SVGPlot? {
    guard let layers = snapshots.first?.gamma?.count else { return nil }
    var plot = SVGPlot(title: "γ = exp(posterior mean) per layer, iteration \(iteration)",
                       xLabel: "support size N", yLabel: "γ (step-size multiplier)")
    let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    for layer in 0..<layers {
        let name = layer == layers - 1 ? "dense" : "conv\(layer + 1)"
        plot.series.append(SVGPlot.Series(
            name: name, points: snapshots.map { (Double($0.supportSize), Double($0.gamma![layer])) },
            color: colors[layer % colors.count], style: .points))
    }
    return plot
}

/// ω of every class against its class size, over all tasks.
public func omegaPlot(_ snapshots: [BalancingSnapshot], iteration: Int) -> SVGPlot? {
    guard snapshots.first?.omega != nil else { return nil }
    var plot = SVGPlot(title: "ω = softmax(posterior mean) per class, iteration \(iteration)",
                       xLabel: "class size (support examples)", yLabel: "ω (class weight)")
    let points = snapshots.flatMap { s in zip(s.classSizes, s.omega!).map { (Double($0), Double($1)) } }
    plot.series.append(SVGPlot.Series(name: "classes", points: points, color: "#1f77b4", style: .points))
    return plot
}
