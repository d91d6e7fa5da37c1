import BerthDBus

/// How systemd queues a job against others for the same unit (the `mode` argument of StartUnit).
public enum SystemdJobMode: String, Hashable, Sendable, Codable, CaseIterable {
    case replace
    case fail
    case isolate
    case ignoreDependencies = "ignore-dependencies"
    case ignoreRequirements = "ignore-requirements"
}
