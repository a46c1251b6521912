// Hand-written `--flag value` parsing for metalearn-data, and its usage text.

import Foundation

/// The command line: a command, then `--name value` options and `--switch` flags.
struct Arguments {
    var command: String
    var options: [String: String] = [:]
    var flags: Set<String> = []
    var positional: [String] = []

    static let switches: Set<String> = ["download", "help", "no-verify"]

    init(_ arguments: [String]) throws {
        guard let first = arguments.first else { throw UsageError("no command given") }
        command = first
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2))
                if Self.switches.contains(name) {
                    flags.insert(name)
                } else {
                    guard index + 1 < arguments.count else { throw UsageError("--\(name) needs a value") }
                    options[name] = arguments[index + 1]
                    index += 1
                }
            } else {
                positional.append(argument)
            }
            index += 1
        }
    }

    func url(_ name: String) -> URL? { options[name].map { URL(fileURLWithPath: $0) } }

    func require(_ name: String, example: String) throws -> URL {
        guard let url = url(name) else { throw UsageError("\(command) needs --\(name) <dir> (for example --\(name) \(example))") }
        return url
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let usage = """
    metalearn-data: convert official dataset archives into MetaLearn dataset files (.mlds)

    USAGE
      swift run -c release metalearn-data <dataset> --source <dir> --output <dir> [options]
      swift run -c release metalearn-data <dataset> --download --output <dir>
      swift run -c release metalearn-data inspect <file.mlds> [--no-verify]

    DATASETS
      omniglot        images_background.zip + images_evaluation.zip → omniglot-{background,evaluation,
                      maml-train,maml-val,maml-test,vinyals-train,vinyals-val,vinyals-test}.mlds
                      --resize lanczos|nearest (default lanczos), --size 28, --vinyals-splits <dir>
                      (default <source>/splits if present), --alphabets A,B (subset)
      fashion-mnist   train/t10k IDX gz → fashion-mnist-{train,test}.mlds (28×28×1) and
                      fashion-mnist-ood-test.mlds (L2B: t10k, RGB, 32×32, Pillow bicubic)
      mnist           the same for MNIST (mnist-*.mlds)
      cifar-fs        cifar-100-binary.tar.gz → cifar-fs-{train,val,test}.mlds (64/16/20, Bertinetto split)
      fc100           cifar-100-binary.tar.gz → fc100-{train,val,test}.mlds (60/20/20 by superclass)
      svhn            train_32x32.mat + test_32x32.mat (+ val_idx.npy) → svhn-{val,test}.mlds (L2B OOD)
      image-folder    <source>/<split>.csv (filename,label) + <source>/images/ (PNG, binary PPM/PGM) →
                      <name>-<split>.mlds; --name mini-imagenet|cub|traffic, --size 84, --resize lanczos|bicubic
                      (default lanczos). A .jpg row reads images/<stem>.png: run data-tools/decode_jpeg.py first

    See data-tools/README.md for the format, the splits and every preprocessing choice.
    """
