// `--download`: fetches the official archives with a plain URL request (short timeout) and checks
// their MD5. Where there is no network it fails fast and says so (DatasetError.noNetwork).

import Datasets
import DataConversion
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A dataset whose official files can be downloaded.
enum OfficialDataset: String, CaseIterable {
    case omniglot, fashionMNIST = "fashion-mnist", mnist, cifar100 = "cifar-100", svhn

    /// (URL, MD5) of every file, as published (MD5s as listed by torchvision and the dataset pages).
    var files: [(url: String, md5: String)] {
        switch self {
        case .omniglot:
            let base = "https://github.com/brendenlake/omniglot/raw/master/python/"
            return [(base + "images_background.zip", "68d2efa1b9178cc56df9314c21c6e718"),
                    (base + "images_evaluation.zip", "6b91aef0f799c5bb55b94e3f2daec811")]
        case .fashionMNIST:
            let base = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
            return [(base + "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                    (base + "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                    (base + "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                    (base + "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
        case .mnist:
            let base = "https://ossci-datasets.s3.amazonaws.com/mnist/"
            return [(base + "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                    (base + "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                    (base + "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                    (base + "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
        case .cifar100:
            return [("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8")]
        case .svhn:
            return [("http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373"),
                    ("http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3"),
                    ("https://github.com/haebeom-lee/l2b/raw/master/data/svhn/val_idx.npy", "b1b2527bfbe11c0810cdf1db7ae21f24")]
        }
    }
}

enum Downloader {
    /// Downloads every file of `dataset` into `folder` (skipping files already there with the right MD5).
    static func fetch(_ dataset: OfficialDataset, into folder: URL, log: (String) -> Void) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (address, md5) in dataset.files {
            let destination = folder.appendingPathComponent(URL(string: address)!.lastPathComponent)
            if let existing = try? Data(contentsOf: destination), md5Hex(existing) == md5 {
                log("have \(destination.lastPathComponent) (MD5 ok)")
                continue
            }
            log("downloading \(address)")
            let data = try download(address)
            let actual = md5Hex(data)
            guard actual == md5 else {
                throw DatasetError.archiveChecksumMismatch(path: address, expectedMD5: md5, actualMD5: actual)
            }
            try data.write(to: destination, options: .atomic)
        }
    }

    static func md5Hex(_ data: Data) -> String {
        var digest = MD5()
        data.withUnsafeBytes { digest.update($0) }
        return digest.hexDigest()
    }

    /// One GET with a 20 s timeout; any failure becomes `DatasetError.noNetwork`.
    static func download(_ address: String) throws -> Data {
        let request = URLRequest(url: URL(string: address)!, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 20)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<Data, DatasetError> = .failure(.noNetwork(url: address, reason: "no answer"))
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                result = .failure(.noNetwork(url: address, reason: error.localizedDescription))
            } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                result = .failure(.noNetwork(url: address, reason: "the server answered HTTP \(http.statusCode)"))
            } else if let data {
                result = .success(data)
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + 600) == .timedOut {
            task.cancel()
            throw DatasetError.noNetwork(url: address, reason: "no complete answer within 10 minutes")
        }
        return try result.get()
    }
}
