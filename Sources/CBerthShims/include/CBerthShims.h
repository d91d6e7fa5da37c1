#ifndef CBERTH_SHIMS_H
#define CBERTH_SHIMS_H

// The few Glibc calls and constants Swift cannot see (or sees awkwardly).
// The implementations live in shims.c, which alone is compiled with _GNU_SOURCE.

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/// accept4(fd, addr, len, SOCK_CLOEXEC [| SOCK_NONBLOCK]). Returns -1 and sets errno on failure.
int berth_accept4(int fd, struct sockaddr *addr, socklen_t *len, int nonblocking);

/// SO_PEERCRED of a connected Unix socket. Returns 0 and fills pid/uid/gid, or -1 with errno.
int berth_peercred(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid);

/// pipe2(fds, O_CLOEXEC [| O_NONBLOCK]).
int berth_pipe2(int fds[2], int nonblocking);

/// socket(domain, type | SOCK_CLOEXEC [| SOCK_NONBLOCK], protocol).
int berth_socket(int domain, int type, int protocol, int nonblocking);

/// socketpair with SOCK_CLOEXEC.
int berth_socketpair(int domain, int type, int protocol, int fds[2]);

/// epoll: create (close-on-exec), control and wait without exposing the packed epoll_event.
int berth_epoll_create(void);
int berth_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits for up to `max` events; writes their data into `datas` and their event masks into `masks`.
int berth_epoll_wait(int epfd, uint64_t *datas, uint32_t *masks, int max, int timeout_ms);

/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), used to wake an event loop.
int berth_eventfd(void);

/// send(..., MSG_NOSIGNAL): a closed peer yields EPIPE instead of killing the process.
ssize_t berth_send_nosignal(int fd, const void *buf, size_t len);

/// pidfd_open(pid, 0): a close-on-exec descriptor that becomes readable when `pid` exits.
int berth_pidfd_open(pid_t pid);

/// posix_spawn with every signal reset to its default action and an empty signal mask, descriptors
/// `stdin_fd`/`stdout_fd`/`stderr_fd` as 0/1/2 (stdin_fd < 0: /dev/null), every other descriptor closed
/// (closefrom 3), an optional working directory and optionally a new process group.
/// Returns 0 and sets *pid, or an errno value (spawn and exec failures alike).
int berth_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd,
                int stdin_fd, int stdout_fd, int stderr_fd, int new_process_group);

/// Installs a handler for `sig` that writes the signal number as one byte to `write_fd` (a
/// non-blocking pipe), so the default action never runs. Returns 0 or -1 with errno.
int berth_signal_forward(int sig, int write_fd);

/// Restores the default action of `sig`.
int berth_signal_default(int sig);

/// Names the calling thread (at most 15 bytes are kept), for ps -L and debuggers.
void berth_set_thread_name(const char *name);
/// The calling thread's name (at most 15 bytes and a NUL); 0 or an errno value.
int berth_get_thread_name(char *buffer, size_t size);

/// Constants whose Glibc definitions import badly into Swift.
extern const int BERTH_SOCK_STREAM;
extern const int BERTH_SOCK_DGRAM;
extern const int BERTH_MSG_NOSIGNAL;
extern const uint32_t BERTH_EPOLLIN;
extern const uint32_t BERTH_EPOLLOUT;
extern const uint32_t BERTH_EPOLLERR;
extern const uint32_t BERTH_EPOLLHUP;
extern const uint32_t BERTH_EPOLLRDHUP;
extern const uint32_t BERTH_EPOLLET;
extern const int BERTH_EPOLL_CTL_ADD;
extern const int BERTH_EPOLL_CTL_DEL;

#ifdef __cplusplus
}
#endif
#endif
