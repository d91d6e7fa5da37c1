#if canImport(Glibc)
import Glibc
#endif
import CBerthShims

extension Socket {
    /// A non-blocking Unix stream socket listening at `path`.
    ///
    /// A socket file left behind by a dead process is removed; a live listener (one that accepts a
    /// connection) makes this fail with `addressInUse`, and a path that is not a socket is never
    /// touched. The file gets `mode` (and `group`, when given) before `listen`, so no client can
    /// connect while the permissions are still the umask's.
    public static func listen(unixPath path: String, mode: mode_t = 0o660, group: gid_t? = nil,
                              backlog: CInt = 1024) throws -> Socket {
        let address = SocketAddress.unix(path: path)
        try address.withSockAddr { _, _ in }  // validates the path before touching the file system
        if !path.hasPrefix("@") { try removeStaleSocket(at: path) }
        let socket = try Socket.stream(family: AF_UNIX, nonBlocking: true)
        do {
            try address.withSockAddr { addr, length in
                guard bind(socket.descriptor.rawValue, addr, length) == 0 else { throw SystemError("bind", path: path) }
            }
            if !path.hasPrefix("@") {
                if let group, chown(path, uid_t.max, group) != 0 { throw SystemError("chown", path: path) }
                guard chmod(path, mode) == 0 else { throw SystemError("chmod", path: path) }
            }
            guard Glibc.listen(socket.descriptor.rawValue, backlog) == 0 else { throw SystemError("listen", path: path) }
            return socket
        } catch {
            socket.close()
            throw error
        }
    }

    /// A non-blocking TCP socket listening on `address` (port 0 picks a free port; read it back with
    /// `localAddress()`). SO_REUSEADDR lets a restarted node rebind at once; an IPv6 socket is
    /// IPV6_V6ONLY so it never also claims the IPv4 port. A Unix address listens with the defaults of
    /// `listen(unixPath:)`.
    public static func listen(on address: SocketAddress, backlog: CInt = 1024) throws -> Socket {
        if case .unix(let path) = address { return try listen(unixPath: path, backlog: backlog) }
        let socket = try Socket.stream(family: address.family, nonBlocking: true)
        do {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            if address.family == AF_INET6 {
                try socket.setOption(CInt(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY")
            }
            try address.withSockAddr { addr, length in
                guard bind(socket.descriptor.rawValue, addr, length) == 0 else {
                    throw SystemError("bind", path: address.description)
                }
            }
            guard Glibc.listen(socket.descriptor.rawValue, backlog) == 0 else {
                throw SystemError("listen", path: address.description)
            }
            return socket
        } catch {
            socket.close()
            throw error
        }
    }

    /// Adopts a listening socket inherited from systemd (socket activation) or a parent: checks that it
    /// is a listening socket, and makes it close-on-exec and non-blocking.
    public static func inherited(_ descriptor: FileDescriptor) throws -> Socket {
        var accepting: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        guard getsockopt(descriptor.rawValue, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 else {
            if errno == ENOTSOCK {
                throw SocketError(.notASocket, "inherited descriptor \(descriptor.rawValue) is not a socket")
            }
            throw SystemError("getsockopt(SO_ACCEPTCONN)")
        }
        guard accepting != 0 else {
            throw SocketError(.notASocket, "inherited descriptor \(descriptor.rawValue) is a socket that is not listening")
        }
        try descriptor.setCloseOnExec(true)
        let socket = Socket(descriptor)
        try socket.setNonBlocking(true)
        // Not made by `stream(family:nonBlocking:)`: give a TCP listener TCP_NODELAY here, for the
        // sockets it accepts to inherit.
        if case .unix = try socket.localAddress() {} else { try socket.setNoDelay() }
        return socket
    }

    private static func removeStaleSocket(at path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw SystemError("lstat", path: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else {
            throw SocketError(.notASocket, "\(path) exists and is not a socket; refusing to replace it")
        }
        do {
            let probe = try Socket.connect(to: .unix(path: path), timeout: .seconds(1))
            probe.close()
            throw SocketError(.addressInUse, "another process is already listening on \(path)")
        } catch let error as SystemError where error.errno.rawValue == ECONNREFUSED {
            // Nobody listens: the file is left over from a process that died.
            if unlink(path) != 0 && errno != ENOENT { throw SystemError("unlink", path: path) }
        }
    }
}
