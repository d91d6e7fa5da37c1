import BerthSystem

/// Serialises, across processes, the node's live changes of a container's links and the links hook
/// of its unit (`berthd links-apply`, run by systemd, also on restarts no node asked for): each
/// reads or writes the links file and applies under this lock, so the rules in the namespace always
/// end up matching the file. An exclusive `flock` on `<container dir>/links.lock`, taken without
/// blocking a thread (polled), released by closing the descriptor `acquire` returns (or when the
/// holder dies).
enum LinkFileLock {
    static func path(forLinksFile linksFile: String) -> String {
        String(linksFile[..<(linksFile.lastIndex(of: "/") ?? linksFile.endIndex)]) + "/links.lock"
    }

    /// Waits (polling every 20 ms, up to `timeout`) for the lock of `linksFile`'s container; close
    /// the descriptor to release it.
    static func acquire(linksFile: String, timeout: Duration = .seconds(60)) async throws(LinkError) -> FileDescriptor {
        let path = LinkFileLock.path(forLinksFile: linksFile)
        let deadline = ContinuousClock.now + timeout
        while true {
            let fd: FileDescriptor?
            do { fd = try FileLock.tryLock(path: path) } catch {
                throw LinkError(.toolFailed, "cannot open the links lock \(path): \(error)")
            }
            if let fd { return fd }
            guard ContinuousClock.now < deadline else {
                throw LinkError(.toolFailed, "cannot lock \(path) (another apply of this container's links holds it)")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
