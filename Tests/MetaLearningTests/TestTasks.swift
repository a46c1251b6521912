// Small tasks for the training tests: sinusoids drawn with the test generator (this target does
// not import Datasets), a tiny conv net with batch norm, and a task source over them.

import Autodiff
import Foundation
import MetaLearning
import NN
import TestSupport

/// y = A·sin(x − φ), A ∈ [0.1, 5], φ ∈ [0, π], x ∈ [−5, 5] (MAML's distribution).
func sinusoidTask(shots: Int, queries: Int, using generator: inout TestGenerator) -> FewShotTask {
    let amplitude = Float.random(in: 0.1...5, using: &generator)
    let phase = Float.random(in: 0...Float.pi, using: &generator)
    let x = (0..<(shots + queries)).map { _ in Float.random(in: -5...5, using: &generator) }
    let y = x.map { amplitude * sin($0 - phase) }
    func column(_ values: ArraySlice<Float>) -> Tensor { Tensor(shape: [values.count, 1], scalars: Array(values)) }
    return FewShotTask(supportInputs: column(x.prefix(shots)), supportTargets: .values(column(y.prefix(shots))),
                       queryInputs: column(x.dropFirst(shots)), queryTargets: .values(column(y.dropFirst(shots))))
}

/// A 2-way task of random 8×8 images (labels 0, 1 alternating), for the conv-net tests.
func imageTask(shots: Int, queries: Int, using generator: inout TestGenerator) -> FewShotTask {
    func images(_ count: Int) -> Tensor { Tensor.randomUniform(shape: [count, 8, 8, 1], in: 0...1, using: &generator) }
    func labels(_ count: Int) -> [Int32] { (0..<count).map { Int32($0 % 2) } }
    return FewShotTask(supportInputs: images(2 * shots), supportTargets: .classes(labels(2 * shots), way: 2),
                       queryInputs: images(2 * queries), queryTargets: .classes(labels(2 * queries), way: 2))
}

/// Conv4 on 8×8 grey images: 4 filters, stride 2, 2-way (batch norm offsets are meta-learned only).
let tinyConvNet = ConvNet4(imageSize: 8, inputChannels: 1, filters: 4, way: 2, downsampling: .stride2, head: .spatialMean)

/// A task stream whose whole state is one UInt64, as the protocol requires.
struct TestTaskSource: TaskSource {
    enum Kind { case sinusoid, image }
    var kind: Kind
    var randomState: UInt64
    var shots = 5
    var queries = 5

    mutating func nextMetaBatch(_ count: Int) -> [FewShotTask] {
        var generator = TestGenerator(seed: randomState)
        let tasks = (0..<count).map { _ in
            kind == .sinusoid ? sinusoidTask(shots: shots, queries: queries, using: &generator)
                : imageTask(shots: shots, queries: queries, using: &generator)
        }
        randomState = generator.next()
        return tasks
    }
}

/// Fresh θ for `model` from `seed`.
func initialParameters(_ model: some FewShotModel, seed: UInt64) -> Parameters {
    var generator = TestGenerator(seed: seed)
    return model.initialParameters(using: &generator)
}

/// Every scalar of a state's tensors as bit patterns (θ, α, Adam moments), for exact comparison.
func bits(_ state: TrainingState) -> [UInt32] {
    let tensors = state.parameters.tensors + (state.stepSizes?.tensors ?? []) + state.optimizer.firstMoments
        + state.optimizer.secondMoments
    return tensors.flatMap { $0.scalars.map(\.bitPattern) }
}
