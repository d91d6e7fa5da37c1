import BerthSystem

/// Picks and opens the node's service manager: the requested mode, or the detected one.
/// berthd keeps the returned `EmbeddedManager` (if any) and stops it on shutdown.
public enum ServiceManagerLauncher {
    public struct Opened: Sendable {
        public let handle: ServiceManagerHandle
        /// Set in embedded mode: the manager berthd owns and must `stop()` when it exits.
        public let embedded: EmbeddedManager?
        /// In embedded mode, what became of the manager a killed node left in the directory.
        public var predecessor: EmbeddedManager.Predecessor = .none
    }

    /// `requested == nil` detects (`ManagerMode.detect`). Embedded state goes to
    /// `embeddedDirectory` (e.g. `<runDir>/manager`); the manager passes `containersConf` on to
    /// the runtime. The caller holds the node lock: in embedded mode a predecessor's manager is
    /// adopted or stopped (`EmbeddedManager.open`), which two nodes must never do at once.
    public static func open(_ requested: ManagerMode?, embeddedDirectory: String, containersConf: String? = nil,
                            environment: [String: String] = ProcessRequest.inheritedEnvironment) async throws -> Opened {
        switch requested ?? ManagerMode.detect(environment: environment) {
        case .system:
            return Opened(handle: .system(), embedded: nil)
        case .user:
            return Opened(handle: .user(environment: environment), embedded: nil)
        case .embedded:
            let (manager, predecessor) = try await EmbeddedManager.open(directory: embeddedDirectory, containersConf: containersConf)
            return Opened(handle: manager.handle, embedded: manager, predecessor: predecessor)
        }
    }
}
