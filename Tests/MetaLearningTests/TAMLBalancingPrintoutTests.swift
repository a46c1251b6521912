// The l2b balancing-variable printouts: exact table format, sorting by N and by class size, and
// posterior-mean values from a tiny model.

import Autodiff
import Foundation
import MetaLearning
import NN
import Testing
import TestSupport

@Suite("Bayesian TAML balancing printouts")
struct TAMLBalancingPrintoutTests {
    @Test("tables match l2b's layout: tasks sorted by N, classes sorted by size")
    func exactFormat() {
        let snapshots = [
            BalancingSnapshot(task: 0, classSizes: [13, 48, 13], gamma: [0.827, 0.961, 4.0944], omega: [0.3, 0.1, 0.6]),
            BalancingSnapshot(task: 1, classSizes: [1, 4, 6], gamma: [0.772, 0.775, 9.438], omega: [0.5, 0.3, 0.2]),
        ]
        let expected = """
            *** Gamma for task imbalance ***
            conv1 conv2 dense
            task 1: N= 11 0.772 0.775 9.438
            task 0: N= 74 0.827 0.961 4.094
            *** Omega for class imbalance ***
            C1 C2 C3 C1 C2 C3
            task 1: 1 4 6 --> 0.500 0.300 0.200
            task 0: 13 13 48 --> 0.300 0.600 0.100

            """
        #expect(balancingTables(snapshots) == expected)
    }

    @Test("snapshots of a tiny model: exp and softmax of posterior means, plots have every point")
    func tinyModel() throws {
        let taml = BayesianTAML(model: SmoothTinyNet(), encoder: tinyEncoder(layers: 2, filters: 2),
                                options: .bayesianTAML, innerSteps: 1, innerLearningRate: 0.1)
        let phi = largeEncoderParameters(taml.encoder, seed: 4)
        let snapshots = (0..<3).map { taml.balancingSnapshot(encoderParameters: phi, task: imbalancedImageTask(seed: UInt64($0)),
                                                             number: $0) }
        let first = snapshots[0]
        #expect(first.classSizes == [1, 2, 3] && first.supportSize == 6)
        let gamma = try #require(first.gamma), omega = try #require(first.omega)
        #expect(gamma.count == 3 && gamma.allSatisfy { $0 > 0 })
        #expect(omega.count == 3 && abs(omega.reduce(0, +) - 1) < 1e-5)
        let lines = balancingTables(snapshots).split(separator: "\n").map(String.init)
        #expect(lines.count == 2 + 3 + 2 + 3)
        #expect(lines[1] == "conv1 conv2 dense" && lines[6] == "C1 C2 C3 C1 C2 C3")
        #expect(lines[2].hasPrefix("task 0: N=  6 ") && lines[7].hasPrefix("task 0: 1 2 3 --> "))
        #expect(lines[2] == "task 0: N=  6 " + gamma.map { String(format: "%.3f", $0) }.joined(separator: " "))
        let gammaSVG = try #require(gammaPlot(snapshots, iteration: 5)).render()
        let omegaSVG = try #require(omegaPlot(snapshots, iteration: 5)).render()
        #expect(gammaSVG.contains("conv2") && gammaSVG.contains("dense"))
        #expect(omegaSVG.hasPrefix("<svg") || omegaSVG.contains("<svg"))
    }

    @Test("switched-off variables are left out of the printout")
    func switchedOff() {
        let snapshot = BalancingSnapshot(task: 2, classSizes: [3, 3], gamma: nil, omega: [0.5, 0.5])
        let text = balancingTables([snapshot])
        #expect(!text.contains("Gamma") && text.contains("task 2: 3 3 --> 0.500 0.500"))
        #expect(gammaPlot([snapshot], iteration: 1) == nil)
    }
}
