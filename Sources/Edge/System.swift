#if canImport(Glibc)
import Glibc
#endif
import CLibevent

/// The system calls the edge makes outside libevent, each checked in one place.
enum System {
    static var errno: Int32 { Glibc.errno }

    /// Whether a failed read or write only means "try again later".
    @inline(__always)
    static func wouldBlock(_ error: Int32) -> Bool { error == EAGAIN || error == EWOULDBLOCK || error == EINTR }

    /// Raises the soft open-file limit to the hard limit (SPEC section 2), and
    /// returns the limit now in force.
    @discardableResult
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Writing to a socket the peer closed must fail with EPIPE, not kill the process.
    static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    static func setIntOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Bool {
        var value = value
        return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    static func describe(_ error: Int32) -> String { String(cString: strerror(error)) }
}

@discardableResult
func closeSocket(_ fd: Int32) -> Int32 { Glibc.close(fd) }
