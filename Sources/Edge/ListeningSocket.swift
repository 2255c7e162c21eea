#if canImport(Glibc)
import Glibc
#endif
import CLibevent

/// Why the edge could not start listening.
public struct EdgeStartError: Error, CustomStringConvertible {
    public var description: String
}

/// Opens the listening sockets of the edge: one per worker, all on the same
/// port with SO_REUSEPORT so the kernel spreads connections across workers.
enum ListeningSocket {
    /// Opens a non-blocking listening socket; `port` 0 picks a free port.
    /// Returns the socket and the port it is bound to.
    static func open(host: String, port: Int, backlog: Int) throws -> (fd: Int32, port: Int) {
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        if let v4 = ipv4(host, port) {
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v4, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        } else if let v6 = ipv6(host, port) {
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v6, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            throw EdgeStartError(description: "bind address \(host) is not an IPv4 or IPv6 address")
        }

        let fd: Int32
        do {
            guard case .processed(let opened) = try System.syscall("socket", {
                socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            }) else { throw EdgeStartError(description: "socket() would block") }
            fd = opened
        } catch let error as SystemCallError {
            throw EdgeStartError(description: "cannot make the edge's socket: \(error)")
        }
        do {
            try System.setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            try System.setIntOption(fd, SOL_SOCKET, SO_REUSEPORT, 1)
            // Accept only once the first bytes have arrived, so the first read finds the request.
            try System.setIntOption(fd, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, 1)
            _ = try System.syscall("bind") {
                withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            }
            _ = try System.syscall("listen") { listen(fd, Int32(backlog)) }
        } catch {
            try? System.close(fd)
            throw EdgeStartError(description: "cannot listen on \(host):\(port): \(error)")
        }
        return (fd, boundPort(fd))
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port sit at the same offset.
            Int(UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)))
        }
    }

    private static func ipv4(_ host: String, _ port: Int) -> sockaddr_in? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        return address
    }

    private static func ipv6(_ host: String, _ port: Int) -> sockaddr_in6? {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { return nil }
        return address
    }
}
