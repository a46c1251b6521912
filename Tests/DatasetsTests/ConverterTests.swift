// CIFAR-FS / FC100, SVHN and image-folder converters on tiny archives the tests build in the
// official formats (CIFAR-100 binary tar.gz, MATLAB v5 .mat + .npy, PNG folder + CSV).

import Foundation
import Testing
@testable import DataConversion
import Datasets

/// A MATLAB level-5 numeric matrix element; `compressed` wraps it in miCOMPRESSED (stored zlib).
func matElement(name: String, arrayClass: UInt8, dimensions: [Int], type: Int, data: [UInt8], compressed: Bool) -> [UInt8] {
    func u32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8) }
    var body: [UInt8] = u32(6) + u32(8) + [arrayClass, 0, 0, 0, 0, 0, 0, 0]
    body += u32(5) + u32(4 * dimensions.count) + padded(dimensions.flatMap { u32($0) })
    let nameBytes = Array(name.utf8)
    if nameBytes.count <= 4 {  // small data element
        body += u32(nameBytes.count << 16 | 1) + nameBytes + [UInt8](repeating: 0, count: 4 - nameBytes.count)
    } else {
        body += u32(1) + u32(nameBytes.count) + padded(nameBytes)
    }
    body += u32(type) + u32(data.count) + padded(data)
    let matrix = u32(14) + u32(body.count) + body
    return compressed ? u32(15) + u32(zlibStored(matrix).count) + zlibStored(matrix) : matrix
}

func matFile(_ elements: [[UInt8]]) -> [UInt8] {
    var header = Array("MATLAB 5.0 MAT-file, written by a MetaLearn test".utf8)
    header += [UInt8](repeating: 0x20, count: 116 - header.count) + [UInt8](repeating: 0, count: 8) + [0x00, 0x01]
    return header + Array("IM".utf8) + elements.flatMap { $0 }
}

@Suite struct ConverterTests {
    /// A CIFAR-100 binary archive with 3 images per fine class (2 in train.bin, 1 in test.bin);
    /// coarse label = fine mod 20; pixel p of plane ch of record r = (fine·(ch+1) + p + r) mod 256.
    func makeCIFARSource() throws -> URL {
        let names = CIFAR100.cifarFSSplits.flatMap(\.classes).sorted()
        func records(_ range: Range<Int>, offset: Int) -> [UInt8] {
            var bytes = [UInt8]()
            for r in range {
                let fine = r % 100
                bytes += [UInt8(fine % 20), UInt8(fine)]
                for channel in 0..<3 {
                    for p in 0..<1024 { bytes.append(UInt8((fine * (channel + 1) + p + r + offset) % 256)) }
                }
            }
            return bytes
        }
        let tar = makeTar([
            ("cifar-100-binary/coarse_label_names.txt", Array((0..<20).map { "super\($0)\n" }.joined().utf8)),
            ("cifar-100-binary/fine_label_names.txt", Array(names.map { "\($0)\n" }.joined().utf8)),
            ("cifar-100-binary/train.bin", records(0..<200, offset: 0)),
            ("cifar-100-binary/test.bin", records(0..<100, offset: 7)),
        ])
        let folder = try makeTemporaryFolder("cifar")
        try Data(gzipStored(tar)).write(to: folder.appendingPathComponent("cifar-100-binary.tar.gz"))
        return folder
    }

    @Test func cifarFSAndFC100SplitsFromTheBinaryArchive() throws {
        let source = try makeCIFARSource()
        let cifar = try CIFAR100(source: source)
        let output = try makeTemporaryFolder("cifar-out")
        let fs = try cifar.write("cifar-fs", to: output)
        let fsClasses: [Int] = fs.map(\.classes)
        #expect(fsClasses == [64, 16, 20])
        let train = try DatasetFile(contentsOf: output.appendingPathComponent("cifar-fs-train.mlds"))
        #expect(train.classNames.prefix(3) == ["train", "skyscraper", "turtle"])
        #expect(train.instanceCounts.allSatisfy { $0 == 3 })
        // Class "train": fine index f, records f, f + 100 (train.bin) then f (test.bin, offset 7).
        let fine = cifar.fineNames.firstIndex(of: "train")!
        let image = train.image(ofClass: 0, instance: 2)
        let pixel = 1 * 32 + 2  // row 1, column 2
        let rgb: [UInt8] = (0..<3).map { UInt8((fine * ($0 + 1) + pixel + fine + 7) % 256) }
        #expect(Array(image[(pixel * 3)..<(pixel * 3 + 3)]) == rgb)
        let fc = try cifar.write("fc100", to: output)
        let fcClasses: [Int] = fc.map(\.classes)
        #expect(fcClasses == [60, 20, 20])
        let test = try DatasetFile(contentsOf: output.appendingPathComponent("fc100-test.mlds"))
        let testSuperclasses = Set(test.classNames.map { cifar.coarseOfFine[cifar.fineNames.firstIndex(of: $0)!] })
        #expect(testSuperclasses == [0, 7, 12, 14])
        #expect(throws: DatasetError.self) { try CIFAR100(source: try makeTemporaryFolder("empty")) }
    }

    @Test(arguments: [false, true])
    func svhnMatFilesGiveL2BClasses(compressed: Bool) throws {
        // 12 images; image n has label (n mod 10) + 1 and X[row, col, ch, n] = (row + 2·col + 50·ch + n) mod 256.
        let count = 12
        var pixels = [UInt8](repeating: 0, count: 32 * 32 * 3 * count)
        for n in 0..<count {
            for channel in 0..<3 {
                for column in 0..<32 {
                    for row in 0..<32 {
                        pixels[row + 32 * (column + 32 * (channel + 3 * n))] = UInt8((row + 2 * column + 50 * channel + n) % 256)
                    }
                }
            }
        }
        let labels: [Double] = (0..<count).map { Double($0 % 10 + 1) }
        let labelBytes = labels.flatMap { value in withUnsafeBytes(of: value) { Array($0) } }
        let mat = matFile([
            matElement(name: "X", arrayClass: 9, dimensions: [32, 32, 3, count], type: 2, data: pixels, compressed: compressed),
            matElement(name: "y", arrayClass: 6, dimensions: [count, 1], type: 9, data: labelBytes, compressed: compressed),
        ])
        let source = try makeTemporaryFolder("svhn")
        try Data(mat).write(to: source.appendingPathComponent("test_32x32.mat"))
        try Data(mat).write(to: source.appendingPathComponent("train_32x32.mat"))
        // val_idx.npy: shape (10, 1), picking instance 0 of each class (1 of class 0 and 1 of class 1 would also do).
        var npyHeader = "{'descr': '<i8', 'fortran_order': False, 'shape': (10, 1), }"
        while (10 + npyHeader.count + 1) % 64 != 0 { npyHeader += " " }
        npyHeader += "\n"
        let npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(npyHeader.count & 0xFF), UInt8(npyHeader.count >> 8)]
            + Array(npyHeader.utf8) + (0..<10).flatMap { _ in [UInt8](repeating: 0, count: 8) }
        try Data(npy).write(to: source.appendingPathComponent("val_idx.npy"))
        let output = try makeTemporaryFolder("svhn-out")
        let written = try SVHNConverter.convert(source: source, output: output)
        #expect(written.map(\.url.lastPathComponent) == ["svhn-val.mlds", "svhn-test.mlds"])
        let test = try DatasetFile(contentsOf: output.appendingPathComponent("svhn-test.mlds"))
        #expect(test.classNames == SVHNConverter.classNames)
        #expect(test.instanceCounts == [2, 2, 1, 1, 1, 1, 1, 1, 1, 1])
        // Class 9 is label 10 (digit 0): image n = 9. Pixel row 3, column 5, channel 2.
        let image = test.image(ofClass: 9, instance: 0)
        #expect(image[(3 * 32 + 5) * 3 + 2] == UInt8((3 + 10 + 100 + 9) % 256))
        let validation = try DatasetFile(contentsOf: output.appendingPathComponent("svhn-val.mlds"))
        #expect(validation.instanceCounts == Array(repeating: 1, count: 10))
        #expect(validation.image(ofClass: 1, instance: 0) == test.image(ofClass: 1, instance: 0))
    }

    @Test func imageFolderWithCSVSplits() throws {
        let source = try makeTemporaryFolder("mini")
        let images = source.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        func rgbPNG(_ side: Int, _ seed: Int) -> [UInt8] {
            let rows: [[UInt8]] = (0..<side).map { y in (0..<(side * 3)).map { x in UInt8((x * 11 + y * 5 + seed) % 256) } }
            return makePNG(width: side, height: side, bitDepth: 8, colorType: 2, rows: rows, filters: [1, 4])
        }
        for (seed, (name, side)) in [("a1", 6), ("a2", 6), ("b1", 9), ("c1", 6)].enumerated() {
            try Data(rgbPNG(side, 40 * seed)).write(to: images.appendingPathComponent("\(name).png"))
        }
        try "filename,label\na1.jpg,n01\nb1.jpg,n02\na2.jpg,n01\n".write(to: source.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
        try "filename,label\nc1.jpg,n03\n".write(to: source.appendingPathComponent("test.csv"), atomically: true, encoding: .utf8)
        let output = try makeTemporaryFolder("mini-out")
        let written = try ImageFolderConverter(name: "mini-imagenet", size: 6).convert(source: source, output: output)
        #expect(written.map(\.url.lastPathComponent) == ["mini-imagenet-train.mlds", "mini-imagenet-test.mlds"])
        let train = try DatasetFile(contentsOf: output.appendingPathComponent("mini-imagenet-train.mlds"))
        #expect(train.classNames == ["n01", "n02"] && train.instanceCounts == [2, 1])
        #expect(train.image(ofClass: 0, instance: 1) == (try PNGDecoder.decode([UInt8](Data(contentsOf: images.appendingPathComponent("a2.png"))))).pixels)
        let resized = try PNGDecoder.decode([UInt8](Data(contentsOf: images.appendingPathComponent("b1.png"))))
        #expect(train.image(ofClass: 1, instance: 0)
            == Resample.resize(resized.pixels, height: 9, width: 9, channels: 3, toHeight: 6, toWidth: 6, filter: .lanczos))
        try "filename,label\nmissing.jpg,n09\n".write(to: source.appendingPathComponent("val.csv"), atomically: true, encoding: .utf8)
        let error = thrownError { _ = try ImageFolderConverter(name: "mini-imagenet", size: 6).convert(source: source, output: output) }
        #expect(error?.description.contains("decode_jpeg.py") == true)
    }
}
