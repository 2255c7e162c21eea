#if canImport(Glibc)
import Glibc
#endif
import CLibevent

/// The system calls the edge makes outside libevent, each checked in one
/// place, as swift-nio's `syscall(blocking:where:)` does: a call interrupted
/// by a signal (EINTR) is made again; "not now" on a non-blocking socket
/// (EAGAIN, EWOULDBLOCK) comes back as `.wouldBlock`, apart from real errors,
/// which are thrown as `SystemCallError` with the call's name and errno.
/// Typed throws of a small struct: the hot path allocates nothing.
enum System {
    /// Runs `body`, a system call that returns -1 and sets `errno` when it fails.
    @inline(__always)
    static func syscall<Value: FixedWidthInteger>(_ function: StaticString, _ body: () -> Value) throws(SystemCallError) -> IOResult<Value> {
        while true {
            let result = body()
            if result >= 0 { return .processed(result) }
            let error = Glibc.errno
            switch error {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw SystemCallError(function: function, errno: error)
            }
        }
    }

    /// Reads from a non-blocking socket; `.processed(0)` is the peer's end of stream.
    @inline(__always)
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) throws(SystemCallError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer, count) }
    }

    /// Sends on a non-blocking socket; a peer that went away is EPIPE, never SIGPIPE.
    @inline(__always)
    static func send(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) throws(SystemCallError) -> IOResult<Int> {
        try syscall("send") { Glibc.send(fd, bytes, count, Int32(MSG_NOSIGNAL)) }
    }

    /// Closes a socket. Not retried on EINTR: on Linux the descriptor is
    /// released whatever `close` answers, and it may already be another's.
    static func close(_ fd: Int32) throws(SystemCallError) {
        if Glibc.close(fd) != 0 && Glibc.errno != EINTR { throw SystemCallError(function: "close", errno: Glibc.errno) }
    }

    static func setIntOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemCallError) {
        var value = value
        _ = try syscall("setsockopt") { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Raises the soft open-file limit to the hard limit (SPEC section 2), and
    /// returns the limit now in force.
    @discardableResult
    static func raiseOpenFileLimit() throws(SystemCallError) -> Int {
        var limit = rlimit()
        _ = try syscall("getrlimit") { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            _ = try syscall("setrlimit") { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) }
            limit = raised
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Writing to a socket the peer closed must fail with EPIPE, not kill the process.
    static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }

    static func describe(_ error: Int32) -> String { String(cString: strerror(error)) }
}

/// What a system call on a non-blocking descriptor came to, when it did not fail.
enum IOResult<Value: Equatable>: Equatable {
    case processed(Value)
    /// The descriptor is not ready: try again when it is.
    case wouldBlock
}

/// A system call that failed for real: which one, and its errno.
struct SystemCallError: Error, CustomStringConvertible {
    let function: StaticString
    let errno: Int32

    var description: String { "\(function) failed: \(System.describe(errno)) (errno \(errno))" }
}
