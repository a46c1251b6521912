// The error every decoder in DataConversion throws for malformed input (zip, gzip, tar, PNG,
// IDX, MAT, CIFAR). Converters wrap it into `DatasetError.badSource` with the file's path.

/// Malformed or unsupported input, with a reason a person can act on.
public struct FormatError: Error, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
