import ClickModel
import ClickRing
import Logging
import Platform
import Synchronization

/// The edge: `workers` threads, each running an `EdgeWorker` on its own
/// listening socket of the shared port.
///
/// Lifecycle: `init` binds every socket (so a taken port fails at once and
/// `port` is known before anything runs), `start()` starts the threads,
/// `stop()` drains and joins them. After `stop()` returns no worker pushes to
/// its ring again, so the aggregator can drain the rings to the end.
public final class EdgeServer: Sendable {
    public let configuration: EdgeConfiguration
    /// The port the edge listens on (the configured one, or the one picked for 0).
    public let port: Int
    private let workers: [EdgeWorker]
    private let threads = Mutex<[OwnedThread]>([])

    public init(configuration: EdgeConfiguration, exchange: LinkTableExchange, logger: Logger) throws {
        precondition(configuration.workers >= 1 && configuration.workers <= ClickIDGenerator.workerRange.upperBound + 1)
        System.ignoreSIGPIPE()
        do {
            let openFiles = try System.raiseOpenFileLimit()
            logger.debug("open-file limit \(openFiles)")
        } catch {
            logger.warning("the open-file limit could not be raised: \(error)")
        }
        var sockets: [Int32] = []
        var port = configuration.port
        do {
            for _ in 0..<configuration.workers {
                let socket = try ListeningSocket.open(host: configuration.host, port: port, backlog: configuration.backlog)
                sockets.append(socket.fd)
                port = socket.port
            }
        } catch {
            for fd in sockets { try? System.close(fd) }
            throw error
        }
        self.configuration = configuration
        self.port = port
        self.workers = sockets.enumerated().map { index, fd in
            EdgeWorker(id: index, configuration: configuration, listenFD: fd, exchange: exchange, logger: logger)
        }
    }

    /// The click channels, one per worker, in worker order: the aggregator's input.
    public var channels: [ClickChannel] { workers.map(\.channel) }

    /// Prepares every worker's event loop, then starts the worker threads
    /// (`edge-0`, `edge-1`, ...). Throws, with nothing started, when libevent
    /// refuses any part of a worker's setup.
    public func start() throws(EdgeStartError) {
        for (index, worker) in workers.enumerated() {
            do {
                try worker.prepare()
            } catch {
                for prepared in workers[..<index] { prepared.discard() }
                throw error
            }
        }
        let started = workers.map { worker in
            OwnedThread(name: "edge-\(worker.id)") { worker.run() }
        }
        threads.withLock { $0 = started }
    }

    /// Stops accepting, lets busy connections finish (up to the drain timeout)
    /// and waits for every worker thread to end. Blocks; call once.
    public func stop() {
        for worker in workers { worker.requestStop() }
        let started = threads.withLock { threads in
            defer { threads = [] }
            return threads
        }
        for thread in started { thread.join() }
    }

    /// Each worker's published figures.
    public func workerStats() -> [WorkerStatsSnapshot] {
        workers.map { $0.stats.snapshot(ringCount: $0.channel.records.count) }
    }
}
