// metalearn: the command-line front end. Thin: parse flags, call the library, print.

import Foundation
import Kernels

let usage = """
    metalearn: few-shot meta-learning in pure Swift (MAML, first-order MAML, Meta-SGD, Bayesian TAML)

    usage: metalearn <command> [flags]

    commands:
      train      meta-train a learner on a dataset file            (metalearn train --help)
      test       evaluate a trained learner on fixed episodes      (metalearn test --help)
      demo       sinusoid MAML in a few minutes, no data needed    (metalearn demo --help)

    flags:
      -h, --help     this text
      --version      version and the instruction set this binary was built for

    Datasets are converted once with: swift run -c release metalearn-data --help
    """

func exitWithError(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("metalearn: " + message + "\n").utf8))
    exit(2)
}

if let reason = CPUFeatures.unsupportedReason() { exitWithError(reason) }

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case nil, "-h", "--help", "help":
    print(usage)
case "--version":
    print("metalearn 0.1.0, built for \(CPUFeatures.compiledTarget)")
case "train", "test", "demo":
    exitWithError("'\(arguments[0])' is not available in this build yet. Run 'metalearn --help' for what is.")
default:
    exitWithError("unknown command '\(arguments[0])'. Run 'metalearn --help' for the list of commands.")
}
