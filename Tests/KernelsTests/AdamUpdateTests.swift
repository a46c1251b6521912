// adamUpdate against its reference on awkward sizes: the same bits for θ and both moments, with
// and without clipping, NaN gradient elements included.

import Kernels
import Testing

@Test("adamUpdate matches adamUpdateReference bit for bit", arguments: awkwardSizes, [Float.infinity, 0.5])
func adamUpdateMatchesReference(count: Int, clip: Float) {
    let settings = AdamStepSettings(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, clip: clip,
                                    correction1: 1 - 0.9 * 0.9, correction2: 1 - 0.999 * 0.999)
    let gradient = Buffer<Float>.random(count, seed: 4, in: -2...2)
    gradient[count / 2] = .nan
    var results: [[[Float]]] = []
    for reference in [false, true] {
        let theta = Buffer<Float>.random(count, seed: 1), m = Buffer<Float>.random(count, seed: 2)
        let v = Buffer<Float>.random(count, seed: 3, in: 0...1)
        if reference {
            adamUpdateReference(theta.output, firstMoments: m.output, secondMoments: v.output, gradient: gradient.input, settings)
        } else {
            adamUpdate(theta.output, firstMoments: m.output, secondMoments: v.output, gradient: gradient.input, settings)
        }
        results.append([theta.array, m.array, v.array])
    }
    #expect(results[0].map { $0.map(\.bitPattern) } == results[1].map { $0.map(\.bitPattern) })
    #expect(results[0][0][count / 2].isNaN && results[0][0].filter(\.isNaN).count == 1)
}
