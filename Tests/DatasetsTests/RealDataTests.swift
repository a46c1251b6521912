// Integration tests on the real archives in <package root>/../shared/data (skipped when absent).
// Counts come from the zip central directory; pixel CRCs were computed with Pillow 11.3.0
// (`255 - Image.open(png).convert("L").resize((28, 28), LANCZOS)`; Fashion-MNIST from numpy).
// Only a few characters are decoded, to keep the debug-build run short.

import Foundation
import Testing
@testable import DataConversion
import Datasets
import Randomness

/// `<package root>/../shared/data`, found from this file's path.
let sharedData: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/data")
let omniglotFolder = sharedData.appendingPathComponent("omniglot")
let fashionFolder = sharedData.appendingPathComponent("fashion-mnist")
let haveOmniglot = FileManager.default.fileExists(atPath: omniglotFolder.appendingPathComponent("images_evaluation.zip").path)
let haveFashion = FileManager.default.fileExists(atPath: fashionFolder.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path)

@Suite(.enabled(if: haveOmniglot, "Omniglot archives not found in ../shared/data/omniglot: skipping the real-data tests"))
struct OmniglotRealDataTests {
    @Test func archivesHave964Plus659CharactersOf20Drawers() throws {
        let characters = OmniglotConverter.characters(in: try OmniglotConverter.openArchives(in: omniglotFolder))
        #expect(characters.filter(\.background).count == 964)
        #expect(characters.filter { !$0.background }.count == 659)
        #expect(characters.allSatisfy { $0.entries.count == 20 })
        #expect(Set(characters.map(\.alphabet)).count == 50)
        let maml = OmniglotConverter.mamlSplit(characters)
        #expect(maml.train.count == 1100 && maml.val.count == 100 && maml.test.count == 423)
        #expect(Set((maml.train + maml.val + maml.test).map(\.label)).count == 1623)
        let vinyals = try OmniglotConverter.vinyalsSplit(in: omniglotFolder.appendingPathComponent("splits"))
        let vinyalsCounts: [Int] = vinyals.map { split in characters.filter { split.labels.contains($0.label) }.count }
        #expect(vinyalsCounts == [1028, 172, 423])
    }

    @Test func decodedCharactersMatchPillowPixelForPixel() throws {
        let archives = try OmniglotConverter.openArchives(in: omniglotFolder)
        let characters = OmniglotConverter.characters(in: archives)
        let lanczos = Resampler(from: (105, 105), to: (28, 28), filter: .lanczos)
        let nearest = Resampler(from: (105, 105), to: (28, 28), filter: .nearest)
        // (character, CRC-32 of image 0, CRC-32 of all 20 images, CRC-32 of image 0 with MAML's NEAREST)
        let golden: [(String, UInt32, UInt32, UInt32)] = [
            ("Alphabet_of_the_Magi/character01", 0xA4B4_AB47, 0x1624_DC50, 0x67A5_382E),
            ("Korean/character40", 0xED29_227F, 0x8259_0CC2, 0xA865_9499),
            ("Tibetan/character42", 0x3BB5_1827, 0xF450_55F0, 0xB25C_94EE),
        ]
        for (label, first, all, firstNearest) in golden {
            let character = try #require(characters.first { $0.label == label })
            let converter = OmniglotConverter()
            let pixels = try converter.pixels(of: character, in: archives, resampler: lanczos)
            #expect(pixels.count == 20 * 784)
            #expect(CRC32.checksum(pixels.prefix(784)) == first, "\(label) image 0")
            #expect(CRC32.checksum(pixels) == all, "\(label) all 20")
            let binary = try OmniglotConverter(resize: .nearest).pixels(of: character, in: archives, resampler: nearest)
            #expect(CRC32.checksum(binary.prefix(784)) == firstNearest, "\(label) nearest")
            #expect(binary.allSatisfy { $0 == 0 || $0 == 255 })
        }
    }

    @Test func subsetConversionWritesReadableSplitFiles() throws {
        let output = try makeTemporaryFolder("omniglot")
        let converter = OmniglotConverter(alphabets: ["Alphabet_of_the_Magi", "Angelic"])
        let written = try converter.convert(source: omniglotFolder, output: output,
                                            vinyalsSplits: omniglotFolder.appendingPathComponent("splits"))
        let byName = Dictionary(uniqueKeysWithValues: written.map { ($0.url.lastPathComponent, $0) })
        #expect(byName["omniglot-background.mlds"]?.classes == 20)
        #expect(byName["omniglot-evaluation.mlds"]?.classes == 20)
        let mamlTotal = ["train", "val", "test"].compactMap { byName["omniglot-maml-\($0).mlds"]?.classes }.reduce(0, +)
        #expect(mamlTotal == 40)
        for file in written {
            let dataset = try DatasetFile(contentsOf: file.url)
            #expect(dataset.height == 28 && dataset.width == 28 && dataset.channels == 1)
            #expect(dataset.instanceCounts.allSatisfy { $0 == 20 })
            #expect(dataset.classNames.allSatisfy { $0.hasPrefix("Alphabet_of_the_Magi/") || $0.hasPrefix("Angelic/") })
        }
        let background = try DatasetFile(contentsOf: output.appendingPathComponent("omniglot-background.mlds"))
        #expect(background.classNames.first == "Alphabet_of_the_Magi/character01")
        #expect(CRC32.checksum(background.image(ofClass: 0, instance: 0)) == 0xA4B4_AB47)
        let sampler = try EpisodeSampler(dataset: background, config: .nWayKShot(way: 5, shot: 1, queries: 1, rotations: true))
        var generator = SplitMix64(seed: 0)
        let episode = sampler.sample(using: &generator)
        #expect(episode.supportShape == [5, 28, 28, 1])
        #expect(episode.supportImages.allSatisfy { $0 >= 0 && $0 <= 1 })
    }
}

/// All images of one class, concatenated.
func classBytes(_ file: DatasetFile, _ classIndex: Int) -> [UInt8] {
    (0..<file.instanceCounts[classIndex]).flatMap { file.image(ofClass: classIndex, instance: $0) }
}

@Suite(.enabled(if: haveFashion, "Fashion-MNIST IDX files not found in ../shared/data/fashion-mnist: skipping"))
struct FashionMNISTRealDataTests {
    @Test func conversionGives60000Plus10000ImagesAndTheL2BOODSet() throws {
        // The 60,000 training labels are counted from their IDX file, and only t10k is converted:
        // the training images and the whole OOD set take most of a minute in a debug build.
        // The OOD preprocessing is checked on a few images against Pillow.
        let converter = MNISTConverter(name: "fashion-mnist")
        let trainLabels = try IDXFile(contentsOf: fashionFolder.appendingPathComponent("train-labels-idx1-ubyte.gz")).bytes
        #expect(trainLabels.count == 60_000)
        let perLabel: [Int] = (0..<10).map { label in trainLabels.filter { $0 == label }.count }
        #expect(perLabel == Array(repeating: 6000, count: 10))
        let output = try makeTemporaryFolder("fashion")
        let written = try converter.convert(source: fashionFolder, output: output, parts: ["test"])
        let counts: [Int] = written.map(\.instances)
        #expect(counts == [10_000])
        let test = try DatasetFile(contentsOf: output.appendingPathComponent("fashion-mnist-test.mlds"))
        #expect(test.instanceCounts == Array(repeating: 1000, count: 10))
        #expect(test.classNames == MNISTConverter.fashionClassNames)
        // CRC-32 of whole classes and of their first images (numpy on the IDX files: the t10k images
        // of that label in file order; Pillow 11.3.0 `convert("RGB").resize((32, 32))` for the OOD set).
        #expect(CRC32.checksum(classBytes(test, 0)) == 0xA2D9_3687)
        #expect(CRC32.checksum(classBytes(test, 9)) == 0x42E9_57C1)
        #expect(CRC32.checksum(test.image(ofClass: 0, instance: 0)) == 0x9B6B_863B)
        #expect(CRC32.checksum(test.image(ofClass: 9, instance: 0)) == 0x5283_0860)
        let ood0 = MNISTConverter.oodImage(test.image(ofClass: 0, instance: 0))
        let ood9 = MNISTConverter.oodImage(test.image(ofClass: 9, instance: 0))
        #expect(ood0.count == 32 * 32 * 3)
        #expect(CRC32.checksum(ood0) == 0x406B_F54B)
        #expect(CRC32.checksum(ood9) == 0x1518_1CFB)
    }
}
