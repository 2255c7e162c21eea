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
        // A number no open file can have: the hard limit on open files. (A socket opened and closed here
        // would free a number that another test running at the same time may be given at once.)
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let unusedNumber = Int32(clamping: min(limit.rlim_max, 1 << 20))
        let worker = EdgeWorker(id: 0, configuration: configuration, listenFD: unusedNumber, exchange: LinkTableExchange(),
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
