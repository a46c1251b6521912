// Inputs found by fuzzing the reader (data-tools/README.md, "Fuzzing"): the smallest corpus
// file for each distinct outcome, as the final file bytes in base64. None crashed the reader;
// they stay as regression tests for the error each one must produce.

import Foundation
import Testing
@testable import Datasets

struct FuzzCase: Sendable, CustomStringConvertible {
    var expected: String      // DatasetError case name, or "accepted"
    var headerCRC: Bool       // false: parsed with the header CRC check off
    var note: String
    var base64: String
    var description: String { "\(expected): \(note)" }
}

let fuzzCases: [FuzzCase] = [
    FuzzCase(expected: "accepted", headerCRC: true, note: "a valid file after edits that cancel out",
             base64: "TUxEUw0KGgoBAAAASwAAAAIAAAABAAAAAQAAAAEAAAABAAAAAAAAAIAAAAAAAAAAAgAAAAAAAABpIt42LymDcwEAAAAAAAAAAQAwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ=="),
    FuzzCase(expected: "corruptHeader", headerCRC: true, note: "channel count N is outside N...N",
             base64: "TUxEUw0KGgoBAAAASwAAAAMAAAABAAAAAZwAAAEAAAABAAAAAAAAAIAAAAAAAAAAAwAAAAAAAAB/iVQIrz0GZgEAAAAAAAAAAQAwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQI="),
    FuzzCase(expected: "corruptHeader", headerCRC: true, note: "class count N is outside N...N",
             base64: "TUxEUw0KGgoBAAAATAAAAAEAAAABAAAAAQAAAAEAAP4BAAAAAAAAAIAAAAAAAAAAAQAAAAAAAACN7wLStWDT2gEAAAABAAAAZAEAMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    FuzzCase(expected: "corruptHeader", headerCRC: true, note: "header length N is below the N bytes that N classes need",
             base64: "TUxEUw0KGgoBAAAALgAAAAEAAAABAAAAAQAAAAEAAAABAAAAAAAAAIAAAAAAAAAAAQAAAAAAAACN7wLS3T+/SQEAAAAAAAAAAwBubjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    FuzzCase(expected: "corruptHeader", headerCRC: true, note: "image size N×N is outside N...N",
             base64: "TUxEUw0KGgoBAAAATAAAAAMAAAoDAAAAAQAAAAEAAAABAAAAAAAAAIAAAAAAAAAACQAAAAAAAAACQ+G8RYKnXgEAAAABAAAAZAEAMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBwg="),
    FuzzCase(expected: "corruptHeader", headerCRC: true, note: "the description is not valid UTF-N",
             base64: "TUxEUw0KGgoBAAAAXAAAAAQAAAADAAAAAgAAAAIAAAACAAAAAAAAAIAAAAAAAAAAMAAAAAAAAAC25D6Pwglz1AEAAAABAAAABAAAAGRkZJsEAG5ubjAEAG5ubjEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcBAgMEBQYHCAkKCwwNDg8QERITFBUWFxg="),
    FuzzCase(expected: "corruptHeader", headerCRC: true, note: "the name of class N is not valid UTF-N",
             base64: "TUxEUw0KGgoBAAAAVgAAAAEAAAABAAAAAQAAAAIAAAACAAAAAAAAAIAAAAAAAAAAAgAAAAAAAABpIt42cVd+YwEAAAABAAAAAAAAAAMAbm7qAwBubjEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ=="),
    FuzzCase(expected: "unsupportedVersion", headerCRC: true, note: "version field changed",
             base64: "TUxEUw0KGgoBAC8AUAAAAAEAAAABAAAAAQAAAAEAAAACAAAAAAAAAIAAAAAAAAAAAgAAAAAAAABpIt42Va/kSgIAAAADAAAAZGRkAwBubjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ=="),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "a class-table field runs past the header",
             base64: "TUxEUw0KGgoBAAAAVgAAAAEAAAABAAAAAQAAAAMAAAADAAAAAAAAAIAAAAAAAAAAAwAAAAAAAAB/iVQIUahA4AEAAAABAAAAAQAAAAAAAAABADABADEEAG5ubjIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQI="),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "class N has no instances",
             base64: "TUxEUw0KGgoBAAAAWwAAAAEAAAAEAAAAAQAAAAMAAAAEAAAAAAAAAIAAAAAAAAAAEAAAAAAAAAAMjGvNjAy7vwAAAAABAAAAAgAAAAEAAABkAQAwAQAxAgBuMgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDAQIDBAIDBAUGBwgJ"),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "the class table ends at byte N, but the header length is N",
             base64: "TUxEUw0KGgoBAAAASwAAAAEAAAAEAAAAAQAAAAEAAAACAAAAAAAAAIAAAAAAAAAACAAAAAAAAACfaKqIJwIJ+QIAAAAAAAAAAAAwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBw=="),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "the description runs past the header",
             base64: "TUxEUw0KGgoBAAAATQAAAAMAAAADAAAAAwAAAAEAAAACAAAAAAAAAIAAAAAAAAAANgAAAAAAAAAK3kkiIBKjdQIAAAAA9wAAAwBubjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU="),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "a class name runs past the header",
             base64: "TUxEUw0KGgoBAAAATwAAAAIAAAACAAAAAwAAAAEAAAACAAAAAAAAAIAAAAAAAAAAGAAAAAAAAACWppWCedyu+QIAAAAEAAAAZGRkZAGyMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc="),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "the padding byte at offset N is not zero",
             base64: "TUxEUw0KGgoBAAAATgAAAAEAAAABAAAAAQAAAAEAAAABAAAAAAAAAIAAAAAAAAAAAQAAAAAAAACN7wLSQDb/TwEAAAABAAAAZAMAbm4wAAAAAAAAAAAAAAB0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "the payload length is N bytes, but N images of N×N×N need N",
             base64: "TUxEUw0KGgoBAAAATQAAAGIAAAABAAAAAgAAAAEAAAACAAAAAAAAAIAAAAAAAAAACAAAAAAAAACfaKqICC/9XAIAAAAAAAAAAwBubjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBw=="),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "the payload offset is N, expected N",
             base64: "TUxEUw0KGgoBAAAATQAAAAMAAAADAAAAAwAAAAEAAAACAAAAAAAAAHcAAAAAAAAANgAAAAAAAAAK3kkiov/fGAIAAAAAAAAAAwBubjAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU="),
    FuzzCase(expected: "inconsistent", headerCRC: true, note: "the per-class instance counts add up to N, but the header says N",
             base64: "TUxEUw0KGgoBAAAATQAAAAMAAAAEAAAAAQAAAAEAAAACAAAAAAATAIAAAAAAAAAAGAAAAAAAAACWppWCc554gwIAAAACAAAAZGQBADAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc="),
    FuzzCase(expected: "notADatasetFile", headerCRC: true, note: "magic byte changed",
             base64: "OUtEUw0KGgoBAAAAUQAAAAGcAAABAAAAAQAAAAEAAAADAAAAAAAAAIAAAAAA7gAAAwAAAAAAAAB/iVQISWnGngMAAAADAAAAZGRkBABubm4wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAagAAAAAAAAAAAAAALgAAAQI="),
    FuzzCase(expected: "notADatasetFile", headerCRC: true, note: "magic byte changed",
             base64: "n0xEUw0KGgoBAAAATwAAAAEAAAABAAAAAQAAAAEAAAADAAAAAAAAAIAALgAAAAAAAwAAAAAkAAB/iVQI+sisnAMAAAAEAAAAZGRkZAEAMAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQI="),
    FuzzCase(expected: "checksumMismatch", headerCRC: true, note: "a pixel changed",
             base64: "TUxEUw0KGgoBAAAATgAAAAMAAAABAAAAAQAAAAEAAAABAAAAAAAAAIAAAAAAAAAAAwAAAAAAAAB/iVQIWlPkRQEAAAABAAAAZAMAbm4wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA9gQI="),
]

@Suite struct FuzzRegressionTests {
    @Test(arguments: fuzzCases)
    func fuzzFoundInputGivesItsError(_ fuzzCase: FuzzCase) throws {
        let bytes = try #require(Data(base64Encoded: fuzzCase.base64))
        let outcome: String
        do {
            _ = try bytes.withUnsafeBytes { try DatasetHeader.parse($0, path: "fuzz", verifyHeaderChecksum: fuzzCase.headerCRC) }
            outcome = "accepted"
        } catch let error as DatasetError {
            outcome = Mirror(reflecting: error).children.first?.label ?? "\(error)"  // the case name
        }
        #expect(outcome == fuzzCase.expected, "\(fuzzCase.note)")
        // The reader with every check on must refuse anything the lenient parse refused.
        if fuzzCase.expected != "accepted" {
            #expect(throws: DatasetError.self) { try DatasetFile(data: bytes, name: "fuzz") }
        }
    }
}
