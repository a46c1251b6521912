// One few-shot episode as the training code consumes it: support and query images as floats
// in [0, 1] (NHWC) with Int32 labels 0..<way, support ordered class by class. Foundation only.

/// A materialized N-way episode.
///
/// Support rows are ordered class by class (label 0's `supportCounts[0]` images first, then
/// label 1's, …), as in L2B; the query set likewise, with `queryCounts`. Nothing is padded:
/// `supportCounts` may differ between classes (any-shot episodes).
public struct Episode: Sendable, Equatable {
    /// N, the number of classes (labels are 0..<way).
    public var way: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    /// `[supportCount, H, W, C]` floats in [0, 1].
    public var supportImages: [Float]
    /// `[supportCount]`, label of each support row.
    public var supportLabels: [Int32]
    /// Support images per class, `[way]`; they sum to `supportCount`.
    public var supportCounts: [Int]
    /// `[queryCount, H, W, C]` floats in [0, 1].
    public var queryImages: [Float]
    public var queryLabels: [Int32]
    public var queryCounts: [Int]
    /// The recipe this episode was built from (dataset classes, instances, rotations).
    public var spec: EpisodeSpec

    public var supportCount: Int { supportLabels.count }
    public var queryCount: Int { queryLabels.count }
    /// `[supportCount, H, W, C]`.
    public var supportShape: [Int] { [supportCount, height, width, channels] }
    /// `[queryCount, H, W, C]`.
    public var queryShape: [Int] { [queryCount, height, width, channels] }
}

/// Which dataset images make up an episode: enough to rebuild it exactly from the dataset file.
public struct EpisodeSpec: Codable, Sendable, Equatable {
    /// `classes[label]` is the dataset class shown as `label`.
    public var classes: [Int]
    /// Counter-clockwise quarter turns applied to every image of each label (0 without augmentation).
    public var rotations: [Int]
    /// `supportInstances[label]`: instance indices within the dataset class, in support order.
    public var supportInstances: [[Int]]
    public var queryInstances: [[Int]]

    public init(classes: [Int], rotations: [Int], supportInstances: [[Int]], queryInstances: [[Int]]) {
        self.classes = classes
        self.rotations = rotations
        self.supportInstances = supportInstances
        self.queryInstances = queryInstances
    }

    public var way: Int { classes.count }
}
