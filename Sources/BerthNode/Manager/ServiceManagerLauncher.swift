import BerthSystem

/// Picks and opens the node's service manager: the requested mode, or the detected one.
/// berthd keeps the returned `EmbeddedManager` (if any) and stops it on shutdown.
public enum ServiceManagerLauncher {
    public struct Opened: Sendable {
        public let handle: ServiceManagerHandle
        /// Set in embedded mode: the manager berthd owns and must `stop()` when it exits.
        public let embedded: EmbeddedManager?
    }

    /// `requested == nil` detects (`ManagerMode.detect`). Embedded state goes to
    /// `embeddedDirectory` (e.g. `<runDir>/manager`); the manager passes `containersConf` on to
    /// the runtime.
    public static func open(_ requested: ManagerMode?, embeddedDirectory: String, containersConf: String? = nil,
                            environment: [String: String] = ProcessRequest.inheritedEnvironment) async throws -> Opened {
        switch requested ?? ManagerMode.detect(environment: environment) {
        case .system:
            return Opened(handle: .system(), embedded: nil)
        case .user:
            return Opened(handle: .user(environment: environment), embedded: nil)
        case .embedded:
            let manager = try await EmbeddedManager.start(directory: embeddedDirectory, containersConf: containersConf)
            return Opened(handle: manager.handle, embedded: manager)
        }
    }
}
