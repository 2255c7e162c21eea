@testable import Edge
import Glibc
import Logging
import Testing

@Suite("Edge worker setup")
struct EdgeWorkerSetupTests {
    /// A listening socket libevent refuses stops the start with an error,
    /// instead of leaving a worker that logs and never accepts.
    @Test func aSocketLibeventRefusesFailsTheStart() throws {
        var configuration = EdgeConfiguration()
        configuration.maxConnectionsPerWorker = 4
        configuration.ringCapacity = 16
        let closedSocket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(closedSocket >= 0)
        Glibc.close(closedSocket)  // its number no longer names an open file
        let worker = EdgeWorker(id: 0, configuration: configuration, listenFD: closedSocket, exchange: LinkTableExchange(),
                                logger: Logger(label: "test"))
        #expect(throws: EdgeStartError.self) { try worker.prepare() }
    }

    /// A listening socket that works: prepared, then discarded without running.
    @Test func aWorkingListenerIsPrepared() throws {
        var configuration = EdgeConfiguration()
        configuration.maxConnectionsPerWorker = 4
        configuration.ringCapacity = 16
        let socket = try ListeningSocket.open(host: "127.0.0.1", port: 0, backlog: 16)
        let worker = EdgeWorker(id: 0, configuration: configuration, listenFD: socket.fd, exchange: LinkTableExchange(),
                                logger: Logger(label: "test"))
        try worker.prepare()
        worker.discard()
    }
}
