import BerthCore
import BerthSystem

/// What a loopback link target (`localhost`, `127.0.0.1`, `::1`) means on this node: the address by
/// which containers reach the node's host, per family (`LinkResolver.hostAddressIPv4/IPv6`).
/// Configured with `--link-host-ipv4` / `--link-host-ipv6` (or the same keys in berthd.conf).
public enum LinkHostAddress: Hashable, Sendable {
    /// The gateway of podman's default network (`podman network inspect podman`), when there is one
    /// of the family; otherwise none.
    case auto
    /// Loopback targets of this family are refused.
    case none
    /// An IP literal of the family.
    case address(String)

    /// Parses `auto`, `none` or an address of `family`.
    public init(parsing text: String, family: IPFamily) throws(ConfigurationError) {
        switch text {
        case "auto": self = .auto
        case "none": self = .none
        default:
            let ok = family == .ipv4 ? HostSyntax.isIPv4(text) : HostSyntax.isIPv6(text)
            guard ok else {
                throw ConfigurationError("--link-host-\(family.rawValue) must be auto, none or an \(family.rawValue) address, got '\(text)'")
            }
            self = .address(text)
        }
    }

    /// The gateways of podman's default network, by family; empty when podman cannot say.
    public static func detectPodmanGateways(podman: String = "/usr/bin/podman",
                                            environment: [String: String] = LinkApplier.defaultEnvironment) async -> [IPFamily: String] {
        let argv = ["network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}} {{end}}"]
        guard FileSystem.exists(podman),
              let result = try? await ProcessRunner.run(ProcessRequest(podman, argv, environment: environment,
                                                                       outputLimit: 64 << 10, timeout: .seconds(10))),
              result.succeeded else { return [:] }
        var gateways: [IPFamily: String] = [:]
        for word in result.stdoutText.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) {
            if HostSyntax.isIPv4(word), gateways[.ipv4] == nil { gateways[.ipv4] = word }
            if HostSyntax.isIPv6(word), gateways[.ipv6] == nil { gateways[.ipv6] = word }
        }
        return gateways
    }

    /// The address in effect, given what detection found.
    public func resolved(family: IPFamily, detected: [IPFamily: String]) -> String? {
        switch self {
        case .auto: detected[family]
        case .none: nil
        case .address(let address): address
        }
    }
}
