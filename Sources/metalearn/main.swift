// metalearn: the command-line front end. Thin: parse flags, call the library, print.
// Exit status: 0 success, 1 training or I/O failure, 2 a usage or input error.

import Foundation
import Kernels

if let reason = CPUFeatures.unsupportedReason() {
    FileHandle.standardError.write(Data(("metalearn: " + reason + "\n").utf8))
    exit(2)
}
if let advice = CPUFeatures.slowBuildAdvice() {
    FileHandle.standardError.write(Data(("metalearn: note: " + advice + "\n").utf8))
}
Memory.keepFreedTensorMemory()  // as the benchmarks do: reuse freed tensor blocks instead of fresh pages
exit(CommandLineInterface.run(Array(CommandLine.arguments.dropFirst())))
