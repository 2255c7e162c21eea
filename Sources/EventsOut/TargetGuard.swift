import ClickModel
import Domain
import Foundation
import NIOPosix

/// Where an event may be sent (SPEC section 13): the URL's form, then every
/// address its host resolves to. A URL whose host leads to a loopback,
/// private, link-local, multicast or metadata address is refused, when it is
/// saved and again at each attempt, unless private targets are allowed.
///
/// The sender connects to the address this check returned, so a name that
/// resolves to a public address here and to a private one a moment later
/// (DNS rebinding) cannot lead a delivery inside.
public struct TargetGuard: Sendable {
    public var allowPrivate: Bool
    public var allowHTTP: Bool
    /// Resolves a host name to its addresses; the system's resolver unless a test gives another.
    public var resolve: @Sendable (String) async throws -> [IPAddress]

    public init(allowPrivate: Bool = false, allowHTTP: Bool = false,
                resolve: @escaping @Sendable (String) async throws -> [IPAddress] = TargetGuard.systemResolve) {
        self.allowPrivate = allowPrivate
        self.allowHTTP = allowHTTP
        self.resolve = resolve
    }

    /// Where an attempt connects: the URL's host as written (for TLS and
    /// `Host`), and the one address that was checked.
    public struct Target: Sendable, Equatable {
        public var scheme: String
        public var host: String
        public var port: Int
        public var address: IPAddress
    }

    /// Checks `url` and resolves its host once; throws `DomainError.invalid("url", ...)` with the reason.
    public func check(_ url: String) async throws(DomainError) -> Target {
        let (scheme, host, port) = try EventTargetRules.check(url, allowHTTP: allowHTTP)
        let addresses: [IPAddress]
        if let literal = IPAddress.parse(host) {
            addresses = [literal]
        } else {
            do {
                addresses = try await resolve(host)
            } catch {
                throw .invalid("url", "its host \(host) cannot be resolved")
            }
            guard !addresses.isEmpty else { throw .invalid("url", "its host \(host) resolves to no address") }
        }
        if !allowPrivate {
            for address in addresses {
                if let reason = AddressRules.refusal(of: address) {
                    throw .invalid("url", "leads to \(address), a \(reason) address; events are only sent to public addresses "
                                   + "(--allow-private-event-targets lifts this)")
                }
            }
        }
        return Target(scheme: scheme, host: host, port: port, address: addresses[0].unmapped)
    }

    /// getaddrinfo, on NIO's thread pool: it blocks.
    public static let systemResolve: @Sendable (String) async throws -> [IPAddress] = { host in
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &list)
            guard status == 0 else { throw ResolutionError(host: host, status: status) }
            defer { freeaddrinfo(list) }
            var addresses: [IPAddress] = []
            var entry = list
            while let current = entry {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0,
                               NI_NUMERICHOST) == 0,
                   let address = IPAddress.parse(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)),
                   !addresses.contains(address) {
                    addresses.append(address)
                }
                entry = current.pointee.ai_next
            }
            return addresses
        }
    }

    struct ResolutionError: Error, CustomStringConvertible {
        var host: String
        var status: Int32
        var description: String { "cannot resolve \(host): \(String(cString: gai_strerror(status)))" }
    }
}
