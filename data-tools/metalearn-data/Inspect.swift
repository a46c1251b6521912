// `metalearn-data inspect <file>`: a JSON summary of a dataset file; non-zero exit if it is bad.

import Datasets
import Foundation

/// The JSON summary printed by `inspect` (keys sorted).
func inspectSummary(path: String, verify: Bool) -> (json: String, ok: Bool) {
    var summary: [String: Any] = ["file": path]
    var ok = true
    do {
        let file = try DatasetFile(contentsOf: URL(fileURLWithPath: path), verifyChecksum: verify)
        summary["formatVersion"] = Int(DatasetHeader.version)
        summary["height"] = file.height
        summary["width"] = file.width
        summary["channels"] = file.channels
        summary["classes"] = file.classCount
        summary["instances"] = file.totalInstances
        summary["instancesPerClass"] = file.instanceCounts
        summary["classNames"] = file.classNames
        summary["description"] = file.description
        summary["payloadCRC32"] = String(format: "%08x", file.header.payloadChecksum)
        summary["checksum"] = verify ? "ok" : "not verified (--no-verify)"
    } catch {
        ok = false
        summary["checksum"] = "bad"
        summary["error"] = "\(error)"
    }
    let data = (try? JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return (String(decoding: data, as: UTF8.self), ok)
}
