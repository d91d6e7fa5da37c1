/// Every bound the node puts on a method's params, in one place. Protocol/berth.openrpc.json states
/// the same numbers (`maxLength`, `maxItems`, `x-berth-maxBytes`), and OpenRPCDocumentTests and
/// Tests/e2e/test_contract.py hold the two together.
///
/// Lengths count characters (Unicode scalars) because JSON Schema's `maxLength` does: a value of the
/// maximum length in four-byte characters must pass too. Each bound is chosen so that whatever passes
/// every one of them can be stored, read back, changed and started; the reasons are beside each.
public enum ContractLimits {
    /// `requestId`: its record's file name is a hash of it, so no length reaches the file system.
    public static let requestIdCharacters = 128

    /// `command`: arguments of the container's command.
    public static let commandArguments = 1024
    /// One argument: 16384 characters are at most 64 KiB of UTF-8, under Linux's 128 KiB
    /// (MAX_ARG_STRLEN) for one string handed to execve.
    public static let commandArgumentCharacters = 16384

    /// `ports`.
    public static let ports = 1024

    /// `volumes`.
    public static let volumes = 256
    /// A volume's host or container path (PATH_MAX less its NUL).
    public static let pathCharacters = 4095

    /// `environment`, `set`, `unset`: variables of one environment.
    public static let environmentVariables = 4096
    /// A variable's name (`[A-Za-z_][A-Za-z0-9_]*`, so characters are bytes).
    public static let environmentNameCharacters = 1024
    /// A variable's value.
    public static let environmentValueCharacters = 8192
    /// The whole environment as the process gets it: the sum over its variables of NAME=VALUE's
    /// UTF-8 bytes plus one (execve's NUL; the same count is the stored file's NAME=VALUE\n lines).
    /// The container's first process is started with it, and execve refuses more than 2 MiB of
    /// arguments and environment together; the rest is left for the command (see `unitLineBytes`)
    /// and the image's own variables.
    public static let environmentBytes = 256 << 10

    /// `environmentSource`: the URL's length.
    public static let environmentSourceCharacters = 4096

    /// `container.logs`: the largest `tail`, and the most lines one answer carries (older ones are
    /// counted in `omitted`), so an answer stays a few MiB at most.
    public static let logLines = 10_000
    /// One log line's text; the rest is counted in `cutBytes` (a line with no newline in 1 MiB
    /// still reaches the client, as 16 KiB and a count).
    public static let logLineBytes = 16384
    /// The error of a start that failed carries the log's last lines (`data.log`): this many, each
    /// cut to `failureLogLineBytes` (the rest counted in `cutBytes`), so the error stays ~10 KiB.
    public static let failureLogLines = 20
    public static let failureLogLineBytes = 512

    /// `links`.
    public static let links = 1024

    /// `restartDelaySeconds` and `restartIntervalSeconds`: at most a day (systemd takes far more,
    /// but a longer pause or window is a mistake sooner than a wish). The delay is kept in
    /// milliseconds, so it has at most three decimals.
    public static let restartSeconds = 86_400
    /// `restartBurst`: starts allowed within the interval (systemd's StartLimitBurst=).
    public static let restartBurst = 10_000
    /// `memory` and `memorySwap`, bytes. At least 6 MiB: below that runc cannot even start the
    /// container's init (podman accepts 1 MiB and the start fails). At most 1 PiB, well inside
    /// JSON's exact integers (2^53).
    public static let memoryMinimumBytes = 6 << 20
    public static let memoryMaximumBytes = 1 << 50
    /// `cpus`: a CFS quota in CPUs, kept in thousandths. 0.01 is the kernel's smallest quota (1 ms
    /// per 100 ms period); 1024 is far above any host, and above the host's count it bounds nothing.
    public static let cpusMinimumThousandths = 10
    public static let cpusMaximum = 1024
    /// `pids`: at least 2, since every container runs under an init (`--init`) that forks its
    /// command; at most Linux's PID_MAX_LIMIT on 64-bit (2^22).
    public static let pidsMinimum = 2
    public static let pidsMaximum = 1 << 22

    /// Not a params member: the longest line of a unit file systemd 252 loads (LONG_LINE_MAX, 1 MiB,
    /// holds the line and its terminating NUL; a longer line makes the unit fail to load with
    /// ENOBUFS). The container's ExecStart= line (runtime, options, ports, volumes, image and
    /// command, escaped) must fit: an install that would make it longer is `invalid_params`.
    public static let unitLineBytes = (1 << 20) - 1
}

extension String {
    /// The length JSON Schema's `maxLength` measures: Unicode scalars.
    public var schemaLength: Int { unicodeScalars.count }
}
