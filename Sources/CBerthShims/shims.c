// Compiled with _GNU_SOURCE (Package.swift), so accept4, pipe2 and struct ucred are visible.
#include "CBerthShims.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <signal.h>
#include <string.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/syscall.h>

const int BERTH_SOCK_STREAM = SOCK_STREAM;
const int BERTH_SOCK_DGRAM = SOCK_DGRAM;
const int BERTH_MSG_NOSIGNAL = MSG_NOSIGNAL;
const uint32_t BERTH_EPOLLIN = EPOLLIN;
const uint32_t BERTH_EPOLLOUT = EPOLLOUT;
const uint32_t BERTH_EPOLLERR = EPOLLERR;
const uint32_t BERTH_EPOLLHUP = EPOLLHUP;
const uint32_t BERTH_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t BERTH_EPOLLET = EPOLLET;
const int BERTH_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int BERTH_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

int berth_accept4(int fd, struct sockaddr *addr, socklen_t *len, int nonblocking) {
    return accept4(fd, addr, len, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
}

int berth_peercred(int fd, int32_t *pid, uint32_t *uid, uint32_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int berth_pipe2(int fds[2], int nonblocking) {
    return pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0));
}

int berth_socket(int domain, int type, int protocol, int nonblocking) {
    return socket(domain, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), protocol);
}

int berth_socketpair(int domain, int type, int protocol, int fds[2]) {
    return socketpair(domain, type | SOCK_CLOEXEC, protocol, fds);
}

int berth_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int berth_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int berth_epoll_wait(int epfd, uint64_t *datas, uint32_t *masks, int max, int timeout_ms) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        datas[i] = evs[i].data.u64;
        masks[i] = evs[i].events;
    }
    return n;
}

int berth_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

ssize_t berth_send_nosignal(int fd, const void *buf, size_t len) {
    return send(fd, buf, len, MSG_NOSIGNAL);
}

int berth_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int berth_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd,
                int stdin_fd, int stdout_fd, int stderr_fd, int new_process_group) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }

    // dup2 onto 0/1/2 clears close-on-exec on the copies; the originals stay close-on-exec.
    if (stdin_fd >= 0) rc = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    else rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    // Belt and braces: a descriptor someone opened without O_CLOEXEC never reaches the child.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (rc == 0 && cwd != NULL) rc = posix_spawn_file_actions_addchdir_np(&actions, cwd);

    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (new_process_group) flags |= POSIX_SPAWN_SETPGROUP;
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (rc == 0 && new_process_group) rc = posix_spawnattr_setpgroup(&attr, 0);
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, flags);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, &attr, argv, envp);

    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

static atomic_int signal_write_fd = -1;

static void forward_signal(int sig) {
    int saved = errno;
    int fd = atomic_load(&signal_write_fd);
    if (fd >= 0) {
        unsigned char byte = (unsigned char)sig;
        // A full pipe (64 KiB of unread signals) drops the byte: a handler must never block.
        (void)!write(fd, &byte, 1);
    }
    errno = saved;
}

int berth_signal_forward(int sig, int write_fd) {
    atomic_store(&signal_write_fd, write_fd);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = forward_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, NULL);
}

int berth_signal_default(int sig) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, NULL);
}

void berth_set_thread_name(const char *name) {
    char shortened[16];
    strncpy(shortened, name, sizeof(shortened) - 1);
    shortened[sizeof(shortened) - 1] = 0;
    pthread_setname_np(pthread_self(), shortened);
}

int berth_get_thread_name(char *buffer, size_t size) {
    return pthread_getname_np(pthread_self(), buffer, size);
}
