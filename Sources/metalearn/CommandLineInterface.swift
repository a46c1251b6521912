// Dispatches `metalearn <command>` and turns errors into a message on stderr and an exit status.

import Datasets
import Foundation
import Kernels
import MetaLearning

enum CommandLineInterface {
    static let usage = """
        metalearn: few-shot meta-learning in pure Swift (MAML, first-order MAML, Meta-SGD)

        usage: metalearn <command> [flags]

        commands:
          train      meta-train a learner on sinusoids or a dataset file   (metalearn train --help)
          test       evaluate a trained learner on fixed episodes          (metalearn test --help)
          demo       sinusoid MAML in under a minute, no data needed       (metalearn demo --help)

        flags:
          -h, --help     this text
          --version      version and the instruction set this binary was built for

        Datasets are converted once with: swift run -c release metalearn-data --help
        """

    /// Runs one command and returns the process exit status.
    static func run(_ arguments: [String]) -> Int32 {
        do {
            switch arguments.first {
            case nil, "-h", "--help", "help":
                print(usage)
            case "--version":
                print("metalearn 0.1.0, built for \(CPUFeatures.compiledTarget)")
            case "train":
                try TrainCommand.run(Array(arguments.dropFirst()).map(helpAlias))
            case "test":
                try TestCommand.run(Array(arguments.dropFirst()).map(helpAlias))
            case "demo":
                try DemoCommand.run(Array(arguments.dropFirst()).map(helpAlias))
            default:
                throw UsageError("unknown command '\(arguments[0])'. Run 'metalearn --help' for the list of commands.")
            }
            return 0
        } catch let error as UsageError {
            return fail(error.description, status: 2)
        } catch let error as DatasetError {
            return fail(error.description, status: 2)
        } catch let error as CheckpointError {
            return fail(error.description, status: 2)
        } catch let error as RunDirectoryError {
            return fail(error.description, status: 2)
        } catch {
            return fail("\(error)", status: 1)
        }
    }

    /// "-h" means "--help" for every command.
    static func helpAlias(_ argument: String) -> String { argument == "-h" ? "--help" : argument }

    static func fail(_ message: String, status: Int32) -> Int32 {
        fflush(nil)
        FileHandle.standardError.write(Data(("metalearn: " + message + "\n").utf8))
        return status
    }
}
