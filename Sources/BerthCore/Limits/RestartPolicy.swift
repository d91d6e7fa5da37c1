import BerthProtocol

/// When systemd restarts a container's unit and how often it may start it: `Restart=`,
/// `RestartSec=` in [Service], `StartLimitBurst=` and `StartLimitIntervalSec=` in [Unit].
///
/// Without a policy the unit has none of these lines, so systemd's defaults hold: no restart (what
/// podman's `--restart` and quadlet default to) and the manager's start limit (5 starts in 10 s).
public struct RestartPolicy: Hashable, Sendable, Codable {
    public enum Mode: String, Hashable, Sendable, Codable, CaseIterable {
        case no
        case onFailure = "on-failure"
        case always
    }

    public var mode: Mode
    /// `RestartSec=`; nil leaves systemd's 100 ms.
    public var delayMilliseconds: Int?
    /// `StartLimitBurst=`; nil leaves the manager's default.
    public var burst: Int?
    /// `StartLimitIntervalSec=`; 0 lifts the limit, nil leaves the manager's default.
    public var intervalSeconds: Int?

    public init(mode: Mode = .no, delayMilliseconds: Int? = nil, burst: Int? = nil, intervalSeconds: Int? = nil) {
        self.mode = mode
        self.delayMilliseconds = delayMilliseconds
        self.burst = burst
        self.intervalSeconds = intervalSeconds
    }

    enum CodingKeys: String, CodingKey { case mode, delayMilliseconds, burst, intervalSeconds }

    /// The policy the wire's members describe (each field named as on the wire), or nil when none is
    /// given. Every bound is `ContractLimits`'.
    public static func checked(mode text: String?, delaySeconds: Double?, burst: Int?,
                               intervalSeconds: Int?) throws(RenderError) -> RestartPolicy? {
        if text == nil && delaySeconds == nil && burst == nil && intervalSeconds == nil { return nil }
        var policy = RestartPolicy()
        if let text {
            guard let mode = Mode(rawValue: text) else {
                throw RenderError(field: "restart", value: text, reason: "must be one of no, on-failure, always")
            }
            policy.mode = mode
        }
        if let delaySeconds {
            policy.delayMilliseconds = try Thousandths.checked(delaySeconds, field: "restartDelaySeconds",
                                                               range: 0...ContractLimits.restartSeconds * 1000, unit: "seconds")
        }
        if let burst {
            guard (1...ContractLimits.restartBurst).contains(burst) else {
                throw RenderError(field: "restartBurst", value: "\(burst)",
                                  reason: "must be from 1 to \(ContractLimits.restartBurst) starts")
            }
            policy.burst = burst
        }
        if let intervalSeconds {
            guard (0...ContractLimits.restartSeconds).contains(intervalSeconds) else {
                throw RenderError(field: "restartIntervalSeconds", value: "\(intervalSeconds)",
                                  reason: "must be from 0 (no start limit) to \(ContractLimits.restartSeconds) seconds")
            }
            policy.intervalSeconds = intervalSeconds
        }
        return policy
    }

    /// Whether systemd gave up restarting a unit with this policy because of its start limit, from
    /// the unit's properties. systemd 252 says `start-limit-hit` only when the run before was a
    /// success: when the limit ends a crash loop, `Result` keeps the last exit's (`exit-code`) and
    /// no property tells the limit apart. A unit left `failed` although its policy restarts on
    /// failure, after systemd restarted it, is one whose next restart the limit refused.
    public func hitStartLimit(activeState: String?, result: String?, restarts: Int?) -> Bool {
        if result == "start-limit-hit" { return true }
        return mode != .no && activeState == "failed" && (restarts ?? 0) > 0
    }

    /// The delay as the wire shows it, in seconds.
    public var delaySeconds: Double? { delayMilliseconds.map { Double($0) / 1000 } }
}

/// A decimal with at most three decimals, kept exactly as an integer count of thousandths (a
/// Double such as 0.1 is not exact, and a unit line must not read `0.30000000000000004`).
public enum Thousandths {
    public static func checked(_ value: Double, field: String, range: ClosedRange<Int>, unit: String) throws(RenderError) -> Int {
        let text = "\(value)"
        let scaled = value * 1000
        guard value.isFinite, scaled >= Double(range.lowerBound) - 1e-6, scaled <= Double(range.upperBound) + 1e-6 else {
            throw RenderError(field: field, value: text,
                              reason: "must be from \(render(range.lowerBound)) to \(render(range.upperBound)) \(unit)")
        }
        let rounded = scaled.rounded()
        guard abs(scaled - rounded) < 1e-6 else {
            throw RenderError(field: field, value: text, reason: "may have at most three decimals")
        }
        return Int(rounded)
    }

    /// `1500` as `1.5`, `500` as `0.5`, `2000` as `2`: the shortest exact decimal.
    public static func render(_ thousandths: Int) -> String {
        let whole = thousandths / 1000, rest = thousandths % 1000
        guard rest != 0 else { return "\(whole)" }
        var fraction = String(rest)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}
