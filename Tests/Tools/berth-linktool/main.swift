// Test helper: drives the node's link code (LinkResolver, LinkApplier, ContainerProcessLookup) from
// the end-to-end and real-tool tests, which build the namespaces and containers around it.
//
//   berth-linktool apply --pid PID [--host4 ADDR] [--host6 ADDR] LINKS   (LINKS: text form, "" = none)
//   berth-linktool rules --pid PID [--family ipv4|ipv6]
//   berth-linktool pid [--runtime podman|docker] NAME
//
// Errors go to stderr as `error: KIND: MESSAGE` with exit status 1; usage errors exit 2.
#if canImport(Glibc)
import Glibc
#endif
import BerthCore
import BerthNode

func usage(_ why: String) -> Never {
    FileHandleOut.err("usage error: \(why)\n")
    exit(2)
}

enum FileHandleOut {
    static func out(_ s: String) { write(1, s) }
    static func err(_ s: String) { write(2, s) }
    private static func write(_ fd: Int32, _ s: String) {
        let bytes = Array(s.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            done += n
        }
    }
}

struct Options {
    var command = ""
    var pid: Int32?
    var host4: String?
    var host6: String?
    var family: IPFamily?
    var runtime = ContainerRuntime.podman
    var positional: [String] = []

    init(_ args: [String]) {
        guard let first = args.first else { usage("need a command: apply, rules or pid") }
        command = first
        var i = 1
        func value() -> String {
            i += 1
            guard i < args.count else { usage("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--pid": guard let p = Int32(value()) else { usage("--pid needs a number") }; pid = p
            case "--host4": host4 = value()
            case "--host6": host6 = value()
            case "--family": guard let f = IPFamily(rawValue: value()) else { usage("--family ipv4|ipv6") }; family = f
            case "--runtime": guard let r = ContainerRuntime(rawValue: value()) else { usage("--runtime podman|docker") }; runtime = r
            default: positional.append(args[i])
            }
            i += 1
        }
    }
}

func fail(_ error: LinkError) -> Never {
    FileHandleOut.err("error: \(error.rpcError.kind.rawValue): \(error.description)\n")
    exit(1)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
do throws(LinkError) {
    switch options.command {
    case "apply":
        guard let pid = options.pid, options.positional.count == 1 else { usage("apply --pid PID LINKS") }
        let links: [NetworkLink]
        do { links = try [NetworkLink](parsing: options.positional[0]) } catch { throw LinkError(.invalid, error.description) }
        let resolved = try await LinkResolver(hostAddressIPv4: options.host4, hostAddressIPv6: options.host6).resolve(links)
        try await LinkApplier().apply(resolved, pid: pid)
        for link in resolved { FileHandleOut.out("applied \(link.description)\n") }
    case "rules":
        guard let pid = options.pid else { usage("rules --pid PID") }
        for family in options.family.map({ [$0] }) ?? IPFamily.allCases {
            for rule in try await LinkApplier().currentRules(pid: pid, family: family) {
                FileHandleOut.out("\(family.rawValue) \(rule)\n")
            }
        }
    case "pid":
        guard options.positional.count == 1 else { usage("pid [--runtime R] NAME") }
        var environment = LinkApplier.defaultEnvironment
        for name in ["CONTAINERS_CONF", "DOCKER_HOST"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        let lookup = ContainerProcessLookup(runtime: options.runtime, environment: environment)
        FileHandleOut.out("\(try await lookup.pid(ofContainer: options.positional[0]))\n")
    default:
        usage("unknown command \(options.command)")
    }
} catch {
    fail(error)
}
