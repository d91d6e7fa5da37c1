/// The host side of socket activation, one socket and one proxy per external port.
///
/// Why this shape: ordinary images (busybox httpd, nginx, ...) know nothing of `LISTEN_FDS`, so the
/// listening socket cannot be handed into the container. Instead systemd owns the host port
/// (`ctr-<id>@<port>.socket`), and on the first connection starts `ctr-<id>@<port>.service`,
/// the host's `systemd-socket-proxyd`, which `Requires=` and is `After=` the container's unit. That
/// unit counts as started only when the container accepts on its loopback backend port, so the
/// proxy's first connection finds a listener. One proxy per port because `systemd-socket-proxyd`
/// forwards all its sockets to a single destination.
enum ContainerSocketRenderer {
    static func render(_ spec: ContainerUnitSpec) throws(RenderError) -> (sockets: [RenderedUnit], proxies: [RenderedUnit]) {
        guard let activation = spec.socketActivation else { return ([], []) }
        var sockets: [RenderedUnit] = []
        var proxies: [RenderedUnit] = []
        let service = ContainerUnitNames.service(spec.id)
        for pair in spec.ports {
            guard let backend = activation.backendPorts[pair.external] else { continue }
            let socketName = ContainerUnitNames.socket(spec.id, externalPort: pair.external)
            let proxyName = ContainerUnitNames.proxy(spec.id, externalPort: pair.external)
            let header = "Rendered by Berth for container \(spec.id.rawValue); berthd rewrites this file."

            var socket = UnitFileText(header: header)
            socket.section("Unit")
            socket.set("Description", "Berth socket for container \(spec.id.rawValue), port \(pair.external)")
            socket.section("Socket")
            socket.set("ListenStream", "\(pair.external)")
            socket.set("Service", proxyName)
            socket.section("Install")
            socket.set("WantedBy", SharedUnits.socketsTarget)
            sockets.append(RenderedUnit(name: socketName, text: socket.text))

            var proxy = UnitFileText(header: header)
            proxy.section("Unit")
            proxy.set("Description", "Berth proxy for container \(spec.id.rawValue), port \(pair.external)")
            proxy.set("Requires", service + " " + socketName)
            proxy.set("After", service + " " + socketName)
            // Stopping the container stops the proxy; the socket stays and can start both again.
            proxy.set("PartOf", service)
            proxy.section("Service")
            proxy.set("Type", "simple")
            if let slice = spec.slice { proxy.set("Slice", slice) }
            proxy.set("NoNewPrivileges", "yes")
            var exec = ExecLine(spec.tools.socketProxy)
            if let idle = activation.proxyExitIdleSeconds { exec.add("--exit-idle-time=\(idle)s") }
            exec.add("127.0.0.1:\(backend)")
            proxy.set("ExecStart", try exec.render())
            proxies.append(RenderedUnit(name: proxyName, text: proxy.text))
        }
        return (sockets, proxies)
    }
}
