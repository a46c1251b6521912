// Adam against the textbook update written out one scalar at a time: the same bits on sizes that
// straddle its eight-lane loop, with and without clipping, over several steps; NaN passes through.

import Autodiff
@testable import NN
import Testing
import TestSupport

@Suite("Adam")
struct AdamTests {
    /// One scalar Adam step (Kingma & Ba, Algorithm 1), in the operation order of `Adam.update`.
    static func reference(_ theta: inout [Float], _ m: inout [Float], _ v: inout [Float], _ g: [Float],
                          step: Int, rate: Float, clip: Float?) {
        let (beta1, beta2, epsilon): (Float, Float, Float) = (0.9, 0.999, 1e-8)
        let correction1 = 1 - Float.power(beta1, step), correction2 = 1 - Float.power(beta2, step)
        for j in theta.indices {
            var gj = g[j]
            if let c = clip { gj = min(max(gj, -c), c) }
            m[j] = beta1 * m[j] + (1 - beta1) * gj
            v[j] = beta2 * v[j] + (1 - beta2) * gj * gj
            theta[j] -= rate * (m[j] / correction1) / ((v[j] / correction2).squareRoot() + epsilon)
        }
    }

    @Test("matches the scalar update bit for bit", arguments: [nil, Float(0.5)])
    func matchesReference(clip: Float?) {
        var generator = TestGenerator(seed: 21)
        let shapes = [[1], [7], [13], [33, 2], [65]]
        var parameters = shapes.map { Tensor.randomNormal(shape: $0, standardDeviation: 1, using: &generator) }
        var expected = parameters.map(\.scalars)
        var m = expected.map { [Float](repeating: 0, count: $0.count) }, v = m
        var adam = Adam(learningRate: 0.01, clipValue: clip)
        for step in 1...4 {
            let gradient = shapes.map { Tensor.randomNormal(shape: $0, standardDeviation: 2, using: &generator) }
            adam.update(&parameters, along: gradient)
            for i in shapes.indices {
                Self.reference(&expected[i], &m[i], &v[i], gradient[i].scalars, step: step, rate: 0.01, clip: clip)
            }
            #expect(parameters.map { $0.scalars.map(\.bitPattern) } == expected.map { $0.map(\.bitPattern) }, "step \(step)")
        }
        #expect(adam.firstMoments.map { $0.scalars.map(\.bitPattern) } == m.map { $0.map(\.bitPattern) })
    }

    @Test("a NaN gradient element makes that parameter NaN, clipped or not", arguments: [nil, Float(3)])
    func nanPropagates(clip: Float?) {
        var parameters = [Tensor(shape: [9], scalars: Array(repeating: 1, count: 9))]
        var gradient = [Float](repeating: 0.5, count: 9)
        gradient[2] = .nan  // in the eight-lane part
        gradient[8] = .nan  // in the scalar tail
        var adam = Adam(learningRate: 0.1, clipValue: clip)
        adam.update(&parameters, along: [Tensor(shape: [9], scalars: gradient)])
        #expect(parameters[0].scalars[2].isNaN && parameters[0].scalars[8].isNaN)
        #expect(parameters[0].scalars.filter(\.isNaN).count == 2)
    }
}
