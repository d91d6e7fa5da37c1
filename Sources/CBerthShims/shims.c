// Compiled with _GNU_SOURCE (Package.swift), so accept4, pipe2, struct ucred and setns are visible.
#include "CBerthShims.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

const int BERTH_SOCK_STREAM = SOCK_STREAM;
const int BERTH_SOCK_CLOEXEC = SOCK_CLOEXEC;
const int BERTH_SOCK_NONBLOCK = SOCK_NONBLOCK;
const uint32_t BERTH_EPOLLIN = EPOLLIN;
const uint32_t BERTH_EPOLLOUT = EPOLLOUT;
const uint32_t BERTH_EPOLLERR = EPOLLERR;
const uint32_t BERTH_EPOLLHUP = EPOLLHUP;
const uint32_t BERTH_EPOLLRDHUP = EPOLLRDHUP;

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

int berth_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
