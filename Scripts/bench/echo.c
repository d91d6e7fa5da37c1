/*
 * Unix-socket line round-trip benchmark: the raw baseline Berth's node is measured against.
 *
 *   echo server PATH [--rpc]      listen on PATH; echo every byte back (or, with --rpc, answer every
 *                                 line with a JSON-RPC result carrying the request's id). One thread
 *                                 per connection; stops on SIGTERM/SIGINT and removes PATH.
 *   echo client PATH [--rpc] [--latency N] [--throughput N] [--window W]
 *                                 (a) N sequential round trips of one ~60-byte line: mean, p50, p99;
 *                                 (b) N lines pipelined with W in flight: lines per second.
 *                                 With --rpc the lines are JSON-RPC `node.ping` requests and every
 *                                 response line must contain "result" (so any Berth node socket can be
 *                                 measured); without it, each echoed line must equal what was sent.
 *
 * Output: one `key=value` line per measurement, for Scripts/bench/run to tabulate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "echo: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *fmt, const char *detail) {
    fprintf(stderr, "echo: ");
    fprintf(stderr, fmt, detail);
    fprintf(stderr, "\n");
    exit(1);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("write");
        }
        buf += n;
        len -= (size_t)n;
    }
}

static struct sockaddr_un address(const char *path) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) fail("socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    return sa;
}

/* ---- server ---------------------------------------------------------------------------- */

static int rpc_mode;
static const char *server_path;

static void on_stop(int sig) {
    (void)sig;
    unlink(server_path);
    _exit(0);
}

/* Copies the value of "id" (a number or a simple string) from LINE into OUT; "null" if absent. */
static size_t copy_id(const char *line, size_t len, char *out, size_t cap) {
    const char *p = memmem(line, len, "\"id\":", 5);
    if (!p) { memcpy(out, "null", 4); return 4; }
    p += 5;
    const char *end = line + len;
    while (p < end && *p == ' ') p++;
    const char *q = p;
    if (q < end && *q == '"') {
        q++;
        while (q < end && *q != '"') q++;
        q++;
    } else {
        while (q < end && *q != ',' && *q != '}' && *q != ' ') q++;
    }
    size_t n = (size_t)(q - p);
    if (n == 0 || n >= cap) { memcpy(out, "null", 4); return 4; }
    memcpy(out, p, n);
    return n;
}

static void *serve(void *arg) {
    int fd = (int)(intptr_t)arg;
    static __thread char in[1 << 16], out[1 << 17];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, in + have, sizeof in - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!rpc_mode) {
            write_all(fd, in, (size_t)n);
            continue;
        }
        have += (size_t)n;
        size_t start = 0, used = 0;
        for (size_t i = 0; i < have; i++) {
            if (in[i] != '\n') continue;
            char id[64];
            size_t idlen = copy_id(in + start, i - start, id, sizeof id);
            used += (size_t)snprintf(out + used, sizeof out - used, "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":{}}\n",
                                     (int)idlen, id);
            start = i + 1;
            if (used > sizeof out - 256) { write_all(fd, out, used); used = 0; }
        }
        if (used) write_all(fd, out, used);
        memmove(in, in + start, have - start);
        have -= start;
        if (have == sizeof in) fail("%s", "line longer than 64 KiB");
    }
    close(fd);
    return NULL;
}

static _Noreturn void run_server(const char *path) {
    server_path = path;
    struct sockaddr_un sa = address(path);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0) die("socket");
    unlink(path);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(ls, 64) < 0) die("listen");
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            die("accept");
        }
        pthread_t t;
        if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) != 0) die("pthread_create");
        pthread_detach(t);
    }
}

/* ---- client ---------------------------------------------------------------------------- */

static int client_fd;
static char rbuf[1 << 16];
static size_t rhave, rstart;

/* The next line (without '\n') into LINE; its length. */
static size_t read_line(char *line, size_t cap) {
    for (;;) {
        char *nl = memchr(rbuf + rstart, '\n', rhave - rstart);
        if (nl) {
            size_t len = (size_t)(nl - (rbuf + rstart));
            if (len >= cap) fail("%s", "response line too long");
            memcpy(line, rbuf + rstart, len);
            line[len] = 0;
            rstart += len + 1;
            return len;
        }
        memmove(rbuf, rbuf + rstart, rhave - rstart);
        rhave -= rstart;
        rstart = 0;
        if (rhave == sizeof rbuf) fail("%s", "response line longer than 64 KiB");
        ssize_t n = read(client_fd, rbuf + rhave, sizeof rbuf - rhave);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("read");
        if (n == 0) fail("%s", "server closed the connection");
        rhave += (size_t)n;
    }
}

/* Request K as a line of about 60 bytes (newline included). */
static size_t make_line(char *buf, size_t cap, long k, int rpc) {
    if (rpc) return (size_t)snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"node.ping\"}\n", k);
    return (size_t)snprintf(buf, cap, "{\"seq\":%010ld,\"payload\":\"berth-echo-baseline-0123456\"}\n", k);
}

static void check_reply(const char *sent, size_t sent_len, const char *got, size_t got_len, int rpc) {
    if (rpc) {
        if (!strstr(got, "\"result\"")) fail("response without \"result\": %s", got);
    } else if (got_len != sent_len - 1 || memcmp(sent, got, got_len) != 0) {
        fail("echo mismatch: %s", got);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void latency(long n, int rpc) {
    double *t = malloc(sizeof(double) * (size_t)n);
    if (!t) die("malloc");
    char line[256], got[4096];
    double total = 0;
    for (long k = 0; k < n; k++) {
        size_t len = make_line(line, sizeof line, k + 1, rpc);
        double t0 = now_us();
        write_all(client_fd, line, len);
        size_t glen = read_line(got, sizeof got);
        t[k] = now_us() - t0;
        total += t[k];
        check_reply(line, len, got, glen, rpc);
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("latency n=%ld bytes=%zu mean_us=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f\n", n,
           make_line(line, sizeof line, n, rpc), total / n, t[n / 2], t[(size_t)(n * 0.99)], t[n - 1]);
    free(t);
}

static void throughput(long n, long window, int rpc) {
    char out[1 << 16], line[256], got[4096];
    long sent = 0, received = 0;
    double t0 = now_us();
    while (received < n) {
        size_t used = 0;
        while (sent < n && sent - received < window && used < sizeof out - 256)
            used += make_line(out + used, sizeof out - used, ++sent, rpc);
        if (used) write_all(client_fd, out, used);
        /* Read at least one response, then whatever is already buffered. */
        do {
            size_t glen = read_line(got, sizeof got);
            received++;
            size_t len = make_line(line, sizeof line, received, rpc);
            check_reply(line, len, got, glen, rpc);
        } while (received < sent && memchr(rbuf + rstart, '\n', rhave - rstart));
    }
    double secs = (now_us() - t0) / 1e6;
    printf("throughput n=%ld window=%ld seconds=%.3f lines_per_s=%.0f\n", n, window, secs, n / secs);
}

static int run_client(const char *path, int argc, char **argv) {
    long lat = 20000, thr = 200000, window = 64;
    int rpc = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--rpc")) rpc = 1;
        else if (!strcmp(argv[i], "--latency") && i + 1 < argc) lat = atol(argv[++i]);
        else if (!strcmp(argv[i], "--throughput") && i + 1 < argc) thr = atol(argv[++i]);
        else if (!strcmp(argv[i], "--window") && i + 1 < argc) window = atol(argv[++i]);
        else fail("unknown client option: %s", argv[i]);
    }
    if (window < 1) fail("%s", "--window must be at least 1");
    struct sockaddr_un sa = address(path);
    client_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client_fd < 0) die("socket");
    if (connect(client_fd, (struct sockaddr *)&sa, sizeof sa) < 0) die(path);
    if (lat > 0) latency(lat, rpc);
    if (thr > 0) throughput(thr, window, rpc);
    close(client_fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "server")) {
        rpc_mode = argc >= 4 && !strcmp(argv[3], "--rpc");
        run_server(argv[2]);
    }
    if (argc >= 3 && !strcmp(argv[1], "client")) return run_client(argv[2], argc - 3, argv + 3);
    fprintf(stderr, "usage: echo server PATH [--rpc]\n"
                    "       echo client PATH [--rpc] [--latency N] [--throughput N] [--window W]\n");
    return 2;
}
