import BerthCore

/// `berthd --help`.
public enum NodeHelp {
    public static let text = """
    berthd: the Berth node. Serves line-delimited JSON-RPC 2.0 (protocol v1) on Unix and TCP sockets and
    runs containers as systemd units.

    \(NodeConfiguration.usage)

    Listening
      --listen unix:PATH          a Unix socket (mode 0660; repeatable). Default: unix:RUN_DIR/berthd.sock
      --listen tcp://ADDR:PORT    a TCP socket, IPv4 (tcp://127.0.0.1:7450) or IPv6 (tcp://[::1]:7450).
                                  Off by default. Every TCP connection, loopback included, must pass the
                                  HMAC-SHA256 challenge (auth.challenge, auth.response) before any method
                                  other than node.hello runs; needs --secret-file. Then every frame
                                  in each direction is sealed (the secure channel channel.v1:
                                  X25519, HKDF-SHA256, ChaCha20-Poly1305); clients that do not open
                                  it are refused.
      --tcp-plain                 TCP without the secure channel: frames after the handshake in
                                  clear and unprotected. For tests only (berth --tcp-plain likewise)
      Under systemd socket activation (LISTEN_FDS) the inherited sockets are used (Unix or TCP, told apart
      by their address); --listen flags add more.

    Access
      --secret-file FILE          the secrets for TCP (must not be readable by other users: chmod 600):
                                  one secret of at least 16 bytes (role admin), or a first line
                                  `berth-secrets 1` then `NAME ROLE SECRET` lines, ROLE one of
                                  read|operate|admin. SIGHUP reloads it; connections whose secret was
                                  removed must authenticate again
      --group NAME                members of this group may use the Unix socket as admin, besides root
                                  and the node's own user (checked with SO_PEERCRED at accept)
      --unix-role GROUP=ROLE      members of GROUP may use the Unix socket with ROLE (read|operate|
                                  admin; repeatable; the highest of a peer's groups counts). With it the
                                  socket is mode 0666: the peer check at accept is the gate

    Limits
      --max-connections N         open connections at once, Unix and TCP (default 1024); more get a
                                  `busy` error line and are closed
      --max-tcp-connections N     of those, TCP connections at most (default: three quarters of
                                  --max-connections, 768); must be less, so the Unix socket always
                                  keeps slots no TCP peer can take
      --max-unauthenticated N     TCP connections that have not authenticated yet (default 64); once
                                  authenticated a connection counts only against the three others
      --max-connections-per-address N
                                  TCP connections from one peer address, authenticated or not
                                  (default 32)
      --auth-timeout SECONDS      a TCP connection must authenticate within this long of connecting
                                  (default 5); input does not extend it. Past it: a `timeout` error
                                  line, then the connection is closed
      --max-line-bytes N          longest request line (default 1048576); longer gets `line_too_long`
                                  and the connection is closed
      --idle-timeout SECONDS      close connections idle this long with nothing in flight (default 300)

    Places and mode
      --state-dir DIR             persistent state (default /var/lib/berth)
      --run-dir DIR               runtime files and the default socket (default /run/berth); one berthd
                                  per run dir (a second exits 1). The embedded manager lives in DIR-manager
      --unit-dir DIR              where container units are written (default: by manager mode)
      --manager MODE              system|user|embedded|auto (default auto)
      --runtime NAME              podman|docker|auto (default auto: podman when PATH has it, else docker)
      --runtime-path PATH         the runtime's CLI (default: found in PATH). The units run it and rm,
                                  bash, env, systemd-socket-proxyd (and podman for docker's API) by the
                                  absolute paths found at start-up; a missing one refuses the start
      --systemd-client KIND       dbus|systemctl (default dbus): D-Bus on the manager's private socket,
                                  or one systemctl process per call (the old path, for comparison)
      --port-range A-B            host ports the node may allocate (default \(PortAllocator.defaultRange.lowerBound)-\(PortAllocator.defaultRange.upperBound),
                                  below Linux's ephemeral ports, which outgoing connections take)
      --log-max-bytes N           bound of each of a container's two log files (default 8388608,
                                  at least 65536); see docs/architecture-logs.md
      --log-level LEVEL           debug|info|notice|warning|error (default info). One line per event;
                                  under systemd with journald <N> priorities and no timestamps.

    Links
      --link-host-ipv4 ADDR       what a loopback link target (localhost, 127.0.0.1) means: the address by
                                  which containers reach this host. auto (default): the gateway of podman's
                                  default network (`podman network inspect podman`, usually 10.88.0.1);
                                  none: such links are refused (invalid_params); or an IPv4 address
      --link-host-ipv6 ADDR       the same for IPv6 links (::1 targets); auto finds a v6 gateway only when
                                  podman's default network has a v6 subnet

    Config file
      --config FILE               read settings from FILE (default /etc/berth/berthd.conf when present).
                                  Lines `key = value` with the option names above as keys (listen and
                                  unix-role may repeat), `#` comments. Flags override the file; --listen
                                  and --unix-role flags replace the file's lines of that key.

    Other
      --help, -h                  this text
      --version                   the version and protocol range
      links-apply ...             (run by container units as ExecStartPost=, not by people) applies a
                                  container's stored links in its network namespace

    Signals: SIGTERM or SIGINT stops accepting, lets requests in flight finish (up to 10 s), closes, and
    exits 0; an embedded manager is stopped with its containers. After a crash (kill -9) the next berthd on
    the same directories adopts the manager and its running containers, or stops it first if it must.
    With NOTIFY_SOCKET set it sends READY=1 once listening and STOPPING=1 on shutdown.
    Exit status: 0 stopped cleanly, 64 usage or configuration error, 1 other failure.
    """
}
