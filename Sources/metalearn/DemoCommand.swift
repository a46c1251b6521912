enum DemoCommand {
    static func run(_ arguments: [String]) throws { throw UsageError("'demo' is not available in this build yet.") }
}
