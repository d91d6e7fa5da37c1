import BerthCore

/// Checks container ids before anything is sent, with the rule of `BerthCore.Identifier`.
enum ContainerID {
    static func validate(_ id: String) throws(UsageError) {
        do { _ = try Identifier(id) } catch { throw UsageError(error.description) }
    }
}
