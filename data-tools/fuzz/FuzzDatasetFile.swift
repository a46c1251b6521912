// libFuzzer target for the dataset file reader (and, with mode 3, our inflate and PNG decoder).
// Build and run: see data-tools/README.md ("Fuzzing"). Not part of the package build.
//
// The first input byte picks a mode:
//   0: the bytes as a whole file, every check on;
//   1: the same with the header CRC check off, so mutations reach the class-table parser;
//   2: a valid file built from the next bytes (sizes, counts, names), then edited at positions the
//      remaining bytes choose, with the header CRC re-signed, so mutations reach the consistency checks;
//   3: the bytes as a zlib stream and as a PNG (DataConversion sources compiled in, see README).

import Datasets
import Foundation
import Randomness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDatasetFile(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    switch mode % 4 {
    case 0: exercise(rest, headerCRC: true)
    case 1: exercise(rest, headerCRC: false)
    case 2: exercise(editedValidFile(rest), headerCRC: true)
    default: fuzzDecoders(rest)
    }
    return 0
}

/// Parses `bytes`; if accepted, reads every image and builds an episode, which must not trap.
func exercise(_ bytes: [UInt8], headerCRC: Bool) {
    let parsed = bytes.withUnsafeBytes { try? DatasetHeader.parse($0, path: "fuzz", verifyHeaderChecksum: headerCRC) }
    guard parsed != nil, let file = try? DatasetFile(data: Data(bytes), name: "fuzz") else { return }
    var sink: UInt8 = 0
    for c in 0..<min(file.classCount, 8) {
        for i in 0..<min(file.instanceCounts[c], 4) { sink ^= file.image(ofClass: c, instance: i).first ?? 0 }
    }
    if let sampler = try? EpisodeSampler(dataset: file, config: .nWayKShot(way: 1, shot: 1, queries: 0)) {
        var generator = SplitMix64(seed: UInt64(sink))
        _ = sampler.sample(using: &generator)
    }
}

/// A valid dataset file shaped by the first bytes, then edited by (offset, xor) byte pairs.
func editedValidFile(_ bytes: [UInt8]) -> [UInt8] {
    var reader = bytes.makeIterator()
    func next() -> Int { Int(reader.next() ?? 0) }
    let height = 1 + next() % 4, width = 1 + next() % 4, channels = 1 + next() % 4, classes = 1 + next() % 4
    var writer = DatasetWriter(height: height, width: width, channels: channels, description: String(repeating: "d", count: next() % 5))
    for c in 0..<classes {
        let count = 1 + next() % 3
        try? writer.addClass(name: String(repeating: "n", count: next() % 4) + "\(c)",
                             pixels: (0..<(count * height * width * channels)).map { UInt8(truncatingIfNeeded: $0 &+ c) })
    }
    guard var file = try? [UInt8](writer.encoded()) else { return [] }
    while let offset = reader.next(), let value = reader.next() {
        file[Int(offset) % file.count] ^= value
    }
    if file.count >= 64 {  // re-sign so the header CRC does not hide everything else
        let length = min(file.count, Int(file[12]) | Int(file[13]) << 8 | Int(file[14]) << 16 | Int(file[15]) << 24)
        if length >= 64 {
            var crc = CRC32()
            crc.update(file[0..<60])
            crc.update(file[64..<length])
            withUnsafeBytes(of: crc.value.littleEndian) { for k in 0..<4 { file[60 + k] = $0[k] } }
        }
    }
    return file
}
