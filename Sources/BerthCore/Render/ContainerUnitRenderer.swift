import BerthProtocol

/// Renders a container's service unit (and, for socket activation, its sockets and proxies).
///
/// Shapes, per runtime:
/// - podman `simple`: podman's own systemd shape — `Type=notify`, `--sdnotify=conmon`, detached
///   (`-d`) with a cidfile under `%t`; conmon reports readiness once the container runs.
/// - podman `foreground`, docker `simple`/`foreground`: the runtime stays attached, `Type=simple`.
///   The docker CLI has no readiness notification, so both docker shapes are the attached one.
/// - `socket-activated`: the service of the runtime's simple shape, publishing every internal port
///   on `127.0.0.1:<backend>` only, plus an `ExecStartPost=` that waits until each backend port
///   accepts; `ContainerSocketRenderer` adds the host sockets and proxies.
///
/// Nothing user-supplied passes through a shell: the runtime gets an argv, every option with a
/// user value is a single `--option=value` word, and the image follows `--`.
public enum ContainerUnitRenderer {
    /// Renders every unit of the container, after validating the whole spec.
    public static func render(_ spec: ContainerUnitSpec) throws(RenderError) -> ContainerUnits {
        try spec.validate()
        let service = RenderedUnit(name: ContainerUnitNames.service(spec.id), text: try serviceText(spec))
        guard spec.shape == .socketActivated else {
            return ContainerUnits(service: service, sockets: [], proxies: [])
        }
        let (sockets, proxies) = try ContainerSocketRenderer.render(spec)
        return ContainerUnits(service: service, sockets: sockets, proxies: proxies)
    }

    static func serviceText(_ spec: ContainerUnitSpec) throws(RenderError) -> String {
        let name = ContainerUnitNames.containerName(spec.id)
        let notify = spec.usesNotify
        var unit = UnitFileText(header: "Rendered by Berth for container \(spec.id.rawValue); berthd rewrites this file.")
        unit.section("Unit")
        unit.set("Description", "Berth container \(spec.id.rawValue)")
        if !spec.wants.isEmpty { unit.set("Wants", spec.wants.joined(separator: " ")) }
        if !spec.after.isEmpty { unit.set("After", spec.after.joined(separator: " ")) }
        // systemd reads the start limit from [Unit]; a crash loop past it ends in `start-limit-hit`.
        if let interval = spec.restart?.intervalSeconds { unit.set("StartLimitIntervalSec", "\(interval)") }
        if let burst = spec.restart?.burst { unit.set("StartLimitBurst", "\(burst)") }

        unit.section("Service")
        if notify {
            unit.set("Type", "notify")
            // conmon, not the podman process systemd started, sends READY=1.
            unit.set("NotifyAccess", "all")
        } else {
            unit.set("Type", "simple")
        }
        if let slice = spec.slice { unit.set("Slice", slice) }
        if spec.runtime == .podman { unit.set("Environment", "PODMAN_SYSTEMD_UNIT=%n") }
        if let dockerHost = spec.dockerHost {
            unit.set("Environment", try SystemdEscaping.environmentAssignment(name: "DOCKER_HOST", value: dockerHost))
        }
        // Image pulls happen on first start; give them time, but bound the stop.
        unit.set("TimeoutStartSec", "300")
        unit.set("TimeoutStopSec", "\(spec.stopTimeoutSeconds + 20)")
        // A container that ends on the stop signal hands conmon (or `docker run`) 128+15 as an exit
        // code, not as a signal, and systemd counts only the signal as clean: without this a clean
        // stop leaves the unit `failed`. 137 (the grace ran out and the runtime KILLed) stays a failure.
        unit.set("SuccessExitStatus", "143")
        if let restart = spec.restart {
            unit.set("Restart", restart.mode.rawValue)
            if let delay = restart.delayMilliseconds { unit.set("RestartSec", "\(delay)ms") }
        }
        if let log = spec.log {
            // Every command of the unit (the runtime CLI's errors, the links hook) appends to the
            // log; systemd opens the file for each command it runs, so nothing holds it between.
            unit.set("StandardOutput", "append:" + log.files.unitLog)
            unit.set("StandardError", "append:" + log.files.unitLog)
        }

        for line in try commands(spec, name: name, notify: notify) {
            let value = try line.exec.render()
            // systemd refuses to load a unit with a longer line: fail here, before anything is written.
            let length = line.key.utf8.count + 1 + value.utf8.count
            if length > ContractLimits.unitLineBytes {
                throw RenderError(field: "\(line.key) line", value: String(value.prefix(80)) + "...",
                                  reason: "would be \(length) bytes, and systemd reads unit lines of at most \(ContractLimits.unitLineBytes): "
                                      + "shorten the command, the volumes or the ports")
            }
            unit.set(line.key, value)
        }

        if spec.shape != .socketActivated {
            unit.section("Install")
            unit.set("WantedBy", spec.wantedBy)
        }
        try metadata(spec).write(to: &unit)
        return unit.text
    }

    static func metadata(_ spec: ContainerUnitSpec) -> ContainerUnitMetadata {
        ContainerUnitMetadata(id: spec.id, image: spec.image, requestId: spec.requestId,
                              isolated: spec.isolation != nil, shape: spec.shape, runtime: spec.runtime,
                              ports: spec.ports,
                              socketActivation: spec.shape == .socketActivated ? .proxied : .disabled)
    }

    private static func commands(_ spec: ContainerUnitSpec, name: String, notify: Bool) throws(RenderError) -> [(key: String, exec: ExecLine)] {
        let runtime = spec.runtimePath
        var lines: [(key: String, exec: ExecLine)] = []
        var run = ExecLine(runtime)
        run.add("run")
        if let log = spec.log { lines.append(("ExecStartPre", markLine(spec, "start", log))) }
        switch (spec.runtime, notify) {
        case (.podman, true):
            var removeCid = ExecLine(spec.tools.remove)
            removeCid.add("-f")
            removeCid.addVerbatim("%t/%n.ctr-id")
            lines.append(("ExecStartPre", removeCid))
            run.addVerbatim("--cidfile=%t/%n.ctr-id")
            run.add("--cgroups=no-conmon", "--rm", "--sdnotify=conmon", "-d", "--replace")
        case (.podman, false):
            run.add("--rm", "--replace")
        case (.docker, _):
            // No `--rm`: through podman's Docker API (4.3) an auto-removed container's exit status
            // is lost (`docker run --rm` answers 0 for a command that exited 3), so a failed
            // container would look like a clean stop. The stale container goes here, the stopped
            // one in ExecStopPost=.
            var removeStale = ExecLine(runtime, ignoreFailure: true)
            removeStale.add("rm", "-f", name)
            lines.append(("ExecStartPre", removeStale))
        }
        run.add("--name=" + name, "--label=io.berth.id=" + spec.id.rawValue)
        if let log = spec.log, spec.runtime == .podman {
            // conmon timestamps each line and names its stream; the file outlives `--rm`.
            run.add("--log-driver=k8s-file", "--log-opt=path=" + log.files.containerLog, "--log-opt=max-size=\(log.maxBytes)")
            // Attached, podman would copy the output to the unit's stdout too: the log would hold it twice.
            if !notify { run.add("--attach=stdin") }
        }
        if spec.useInit { run.add("--init") }
        if let network = spec.network { run.add("--network=" + network) }
        if let env = spec.environmentFilePath { run.add("--env-file=" + env) }
        for pair in spec.ports {
            if spec.shape == .socketActivated, let backend = spec.socketActivation?.backendPorts[pair.external] {
                run.add("--publish=127.0.0.1:\(backend):\(pair.internal)")
            } else {
                run.add("--publish=\(pair.external):\(pair.internal)")
            }
        }
        for volume in spec.volumes { run.add("--volume=" + volume.runtimeValue) }
        // On the container's own cgroup, where its processes are (not the unit's: see ResourceLimits).
        if let limits = spec.limits { run.add(contentsOf: limits.runtimeArguments) }
        if let isolation = spec.isolation {
            run.add(contentsOf: isolationArguments(isolation, runtime: spec.runtime))
        }
        run.add("--", spec.image)
        run.add(contentsOf: spec.command)
        lines.append(("ExecStart", run))

        if let post = spec.postStartCommand { lines.append(("ExecStartPost", ExecLine(argv: post))) }
        if spec.shape == .socketActivated, let activation = spec.socketActivation {
            for pair in spec.ports {
                guard let backend = activation.backendPorts[pair.external] else { continue }
                lines.append(("ExecStartPost", waitLine(activation, port: backend, shell: spec.tools.shell)))
            }
        }

        var stop = ExecLine(runtime)
        var remove = ExecLine(runtime, ignoreFailure: true)
        switch (spec.runtime, notify) {
        case (.podman, true):
            stop.add("stop", "--ignore", "--time=\(spec.stopTimeoutSeconds)")
            stop.addVerbatim("--cidfile=%t/%n.ctr-id")
            remove.add("rm", "--force", "--ignore")
            remove.addVerbatim("--cidfile=%t/%n.ctr-id")
        case (.podman, false):
            stop.add("stop", "--ignore", "--time=\(spec.stopTimeoutSeconds)", name)
            remove.add("rm", "--force", "--ignore", name)
        case (.docker, _):
            stop.ignoreFailure = true
            stop.add("stop", "--time=\(spec.stopTimeoutSeconds)", name)
            remove.add("rm", "--force", name)
        }
        lines.append(("ExecStop", stop))
        lines.append(("ExecStopPost", remove))
        if let log = spec.log {
            var mark = markLine(spec, "stop", log)
            // The container's id, for the stop marker's look for an OOM kill (`markScript`): only
            // podman's detached shape keeps it (its cidfile outlives `--rm` until the next start).
            if spec.runtime == .podman, notify, spec.limits?.memory != nil { mark.addVerbatim("%t/%n.ctr-id") }
            lines.append(("ExecStopPost", mark))
        }
        return lines
    }

    private static func isolationArguments(_ isolation: ContainerIsolation, runtime: ContainerRuntime) -> [String] {
        var arguments = [
            "--user=\(isolation.uid):\(isolation.gid)",
            "--cap-drop=all",
            "--security-opt=no-new-privileges",
            "--read-only",
        ]
        // podman mounts tmpfs on /run, /tmp and /var/tmp of a read-only container by itself
        // (--read-only-tmpfs); docker needs them asked for.
        if runtime == .docker {
            arguments += ["--tmpfs=/tmp:rw,nosuid,nodev,mode=1777", "--tmpfs=/run:rw,nosuid,nodev,mode=755"]
        }
        arguments += [
            "--volume=\(isolation.initScriptPath):\(ContainerIsolation.initMountPoint):ro",
            "--volume=\(isolation.cmdScriptPath):\(ContainerIsolation.cmdMountPoint):ro",
            "--entrypoint=\(ContainerIsolation.initMountPoint)",
        ]
        return arguments
    }

    /// The readiness wait: the node's own waiter when given, else a fixed bash probe whose script
    /// text is a constant and whose only input, the port, arrives as `$1`.
    static func waitLine(_ activation: SocketActivation, port: UInt16, shell: String) -> ExecLine {
        if let wait = activation.waitCommand {
            var line = ExecLine(argv: wait)
            line.add("127.0.0.1", "\(port)")
            return line
        }
        var line = ExecLine(shell)
        line.add("-c", waitScript, "berth-wait-port", "\(port)")
        return line
    }

    /// A marker line in the unit's log (`ContainerLogFiles`): the time, and the unit starting or its
    /// result (systemd hands `ExecStopPost=` `SERVICE_RESULT`, `EXIT_CODE`, `EXIT_STATUS`). A fixed
    /// script; its inputs are the word `start` or `stop`, the unit log's path and its bound (the
    /// node's, never a user's). Failures are ignored (`-`).
    static func markLine(_ spec: ContainerUnitSpec, _ event: String, _ log: ContainerLogSpec) -> ExecLine {
        var line = ExecLine(spec.tools.shell, ignoreFailure: true)
        line.add("-c", markScript, "berth-log-mark", event)
        line.add(log.files.unitLog, "\(log.maxBytes)")
        return line
    }

    /// bash's clock (`EPOCHREALTIME`, `printf %()T`): the start runs no process besides the shell,
    /// since it is on the path a user waits for. The format is conmon's (`TIME STREAM F TEXT`), so
    /// one parser reads both files. The stop bounds the log, since systemd appends to it on every
    /// start, its own restarts included, and each of those follows a stop: past the bound, the newer
    /// half is kept from its first whole line and renamed over the log; the marker then goes to the
    /// new file (systemd opened stdout on the old one).
    ///
    /// With a container id file (`$4`), a run that ended with status 137 whose container the kernel
    /// OOM-killed is marked `result oom-kill`: systemd reads OOM kills only from cgroup v2's
    /// `memory.events` of the unit's own cgroup, and the container's cgroup (where v1 counts the
    /// kill) is gone by now, but the kernel's log names it (`oom-kill:... task_memcg=...<id>`).
    /// The id is checked to be one (64 hex digits) before it enters the pattern; podman writes it
    /// without a newline, so `read`'s status (false at such an end) is not what decides. The node reads
    /// this marker (`ContainerEngine.runResult`); a kill -9 is never in the kernel's log.
    static let markScript =
        "t=$EPOCHREALTIME; export TZ=UTC0; case $1 in start) m=starting;; "
        + "*) r=${SERVICE_RESULT:-unknown}; if [[ $r == exit-code && ${EXIT_STATUS:-} == 137 && -n ${4:-} ]] "
        + "&& { read -r c; [[ $c =~ ^[0-9a-f]{64}$ ]]; } <\"$4\" "
        + "&& dmesg 2>/dev/null | grep -qE \"oom-kill:.*task_memcg=[^,]*$c\"; then r=oom-kill; fi; "
        + "m=\"stopped: result $r, main process ${EXIT_CODE:-none} ${EXIT_STATUS:-}\"; "
        + "if (( $(stat -c %s -- \"$2\" 2>/dev/null || echo 0) > $3 )); then umask 077; "
        + "tail -c $(($3 / 2)) -- \"$2\" | { IFS= read -r _; cat; } >\"$2.trim\" && mv -f -- \"$2.trim\" \"$2\"; fi; "
        + "exec >>\"$2\";; esac; "
        + "printf '%(%Y-%m-%dT%H:%M:%S)T.%s+00:00 systemd F %s\\n' \"${t%[.,]*}\" \"${t#*[.,]}\" \"$m\""

    /// Tries for 60 s, 10 times a second; `TimeoutStartSec=` bounds it too.
    static let waitScript =
        "for ((i = 0; i < 600; i++)); do (: <\"/dev/tcp/127.0.0.1/$1\") 2>/dev/null && exit 0; sleep 0.1; done; "
        + "echo \"berth: port $1 did not accept connections\" >&2; exit 1"
}
