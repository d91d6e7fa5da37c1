import BerthProtocol
import BerthSystem

/// The options every command that talks to nodes takes.
public struct GlobalOptions: Hashable, Sendable {
    /// `--node` values as given (repeatable); empty means BERTH_NODE or the default socket.
    public var nodes: [String] = []
    public var secretFile: String?
    /// `--timeout` in seconds, for connecting and for each call.
    public var timeoutSeconds: Double = 30
    public var json = false

    public init() {}

    static let helpText = """
        NODE OPTIONS:
          --node ADDR          unix:PATH, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]; repeat for several
                               nodes (default: $BERTH_NODE, else unix:/run/berth/berthd.sock)
          --secret-file FILE   shared secret for tcp:// nodes
          --timeout SECONDS    per node and per call (default 30)
          --json               machine-readable output
          -h, --help           show this help
        """

    /// Consumes a shared option; false when `name` is not one.
    mutating func consume(_ name: String, _ scanner: inout ArgumentScanner) throws(UsageError) -> Bool {
        switch name {
        case "--node": nodes.append(try scanner.value())
        case "--secret-file": secretFile = try scanner.value()
        case "--timeout":
            let text = try scanner.value()
            guard let seconds = Double(text), seconds > 0, seconds <= 86_400 else {
                throw UsageError("--timeout must be a number of seconds above 0, got \(String(reflecting: text))")
            }
            timeoutSeconds = seconds
        case "--json": json = try scanner.flag()
        default: return false
        }
        return true
    }

    /// Every `--node` parses.
    func validate() throws(UsageError) {
        for node in nodes {
            do { _ = try NodeAddress(parsing: node) } catch { throw UsageError(error.description) }
        }
    }

    /// The nodes to talk to.
    func addresses(environment: [String: String]) throws(UsageError) -> [NodeAddress] {
        if nodes.isEmpty {
            do { return [try NodeAddress.defaultAddress(environment: environment)] } catch {
                throw UsageError(error.description + " (from BERTH_NODE)")
            }
        }
        var seen = Set<NodeAddress>()
        var addresses: [NodeAddress] = []
        for node in nodes {
            do {
                let address = try NodeAddress(parsing: node)
                if seen.insert(address).inserted { addresses.append(address) }
            } catch { throw UsageError(error.description) }
        }
        return addresses
    }

    var timeout: Duration { .milliseconds(Int64(timeoutSeconds * 1000)) }

    /// Connect options with the secret read from `--secret-file`.
    func connectOptions() throws(CommandFailure) -> ConnectOptions {
        var options = ConnectOptions(connectTimeout: timeout, callTimeout: timeout)
        if let secretFile {
            do {
                options.secret = try AuthSecret(fileContents: FileSystem.read(secretFile, limit: 64 << 10))
            } catch let error as RPCError {
                throw CommandFailure(.noInput, "secret file \(secretFile): \(error.message)")
            } catch {
                throw CommandFailure(.noInput, "cannot read the secret file \(secretFile): \(error)")
            }
        }
        return options
    }
}

/// A command that stops before any call, with its exit code.
struct CommandFailure: Error {
    let code: ExitCode
    let message: String
    init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
