import BerthSystem

/// Opens the byte stream to a node address.
enum NodeConnector {
    static func connect(to address: NodeAddress, timeout: Duration, options: ConnectOptions) async throws -> (Connection, SSHTransport?) {
        switch address {
        case .ssh(let user, let host, let port):
            let arguments = SSHTransport.arguments(user: user, host: host, port: port, remoteCommand: options.sshRemoteCommand)
            let (connection, transport) = try SSHTransport.start(executable: options.sshCommand, arguments: arguments,
                                                                 environment: ProcessRequest.inheritedEnvironment)
            return (connection, transport)
        default:
            return (try await connect(to: address, timeout: timeout), nil)
        }
    }

    static func connect(to address: NodeAddress, timeout: Duration) async throws -> Connection {
        switch address {
        case .unix(let path):
            return try await attempt(.unix(path: path), for: address, timeout: timeout)
        case .tcp(let host, let port):
            let candidates: [SocketAddress]
            do {
                candidates = try await SocketAddress.resolve(host: host, port: port)
            } catch {
                throw ClientError.unresolvable(address, host: host, error)
            }
            var last: (any Error)?
            for candidate in candidates {
                do { return try await attempt(candidate, for: address, timeout: timeout) } catch { last = error }
            }
            throw last ?? ClientError.noAddresses(address)
        case .ssh:
            throw ClientError(.unsupported, "ssh:// nodes go through connect(to:timeout:options:)")
        }
    }

    private static func attempt(_ socketAddress: SocketAddress, for address: NodeAddress, timeout: Duration) async throws -> Connection {
        do {
            return try await Connection.connect(to: socketAddress, timeout: timeout)
        } catch let error as SocketError where error.code == .timedOut {
            throw ClientError.noConnection(address, within: timeout)
        } catch {
            throw ClientError.unreachable(address, error)
        }
    }
}
