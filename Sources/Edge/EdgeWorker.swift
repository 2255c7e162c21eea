#if canImport(Glibc)
import Glibc
#endif
import Atomics
import CLibevent
import ClickModel
import ClickRing
import Histogram
import GeoIP
import Logging
import Platform

/// One edge worker: a thread with its own libevent `event_base`, its own
/// listening socket on the shared port, its own connections, link table, click
/// channel (its rings), counters and latency histogram. It shares nothing mutable with other
/// workers, so no libevent call ever crosses threads and the base is created
/// without locks.
///
/// Thread contract: `run()` is called once, on the worker's thread, and every
/// other method but `requestStop()` runs there too, from libevent callbacks.
/// Other threads read `stats` and consume `channel`.
///
/// The per-request path (`readable` to `flush`) allocates nothing: it reads
/// into the worker's input buffer, parses in place, writes answers into the
/// worker's output buffer and fills the click in its ring slots (see
/// `EdgeResponder`). Memory of its
/// own is given to a connection only when a request head arrives in pieces or
/// the client does not take its answers.
final class EdgeWorker: @unchecked Sendable {
    let id: Int
    let configuration: EdgeConfiguration
    let channel: ClickChannel
    let stats: WorkerStats
    let exchange: LinkTableExchange
    let listenFD: Int32
    let logger: Logger
    let stopRequested = ManagedAtomic<Bool>(false)

    static let inputCapacity = 64 * 1024
    static let outputCapacity = 256 * 1024
    static let tickMilliseconds = 100

    // MARK: worker-thread state

    var base: OpaquePointer?
    var listener: OpaquePointer?
    var isListenerEnabled = false
    /// Monotonic ms until which accepting is paused after an accept error; 0 when not paused.
    var listenerPausedUntil: Int64 = 0
    let tickEvent: OpaquePointer

    /// The table the responder's view points into: held here so it lives while used.
    var table: LinkTable
    var tableGeneration: Int
    /// The country database the responder looks into, held here likewise; nil without one.
    var countries: CountryDatabase?
    var countriesGeneration = -1
    /// Answers requests and records clicks; counts on the hot path.
    @exclusivity(unchecked) var responder: EdgeResponder

    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .two)
    var histogramStartedAt: Int64 = 0

    let connections: UnsafeMutablePointer<Connection>
    let connectionEvents: UnsafeMutableRawPointer
    let freeSlots: UnsafeMutablePointer<Int32>
    var freeCount: Int
    var openCount = 0

    let input: UnsafeMutableRawPointer
    let output: UnsafeMutableRawPointer
    /// The most an answer can take: its fixed part, a destination, and a query
    /// that fits in a request line, each byte encoded as three.
    let maxAnswerBytes: Int
    /// The most bytes of a request head a connection keeps while it arrives.
    let maxPendingBytes: Int

    let date: UnsafeMutableRawPointer
    var dateSecond: Int64 = -1
    var ticks = 0
    /// Monotonic milliseconds at the start of the current callback.
    var nowMonotonic: Int64 = 0
    /// Wall-clock milliseconds at the start of the current callback.
    var nowWall: Int64 = 0

    var isDraining = false
    var drainDeadline: Int64 = 0

    init(id: Int, configuration: EdgeConfiguration, listenFD: Int32, exchange: LinkTableExchange, logger: Logger) {
        self.id = id
        self.configuration = configuration
        self.listenFD = listenFD
        self.exchange = exchange
        self.logger = logger
        let channel = ClickChannel(capacity: configuration.ringCapacity)
        self.channel = channel
        self.stats = WorkerStats(workerID: id, ringCapacity: configuration.ringCapacity)
        self.tableGeneration = exchange.generation
        let table = exchange.current
        self.table = table
        stats.catalogueVersion.store(Int(table.version), ordering: .relaxed)  // the first table's, until a change
        self.responder = EdgeResponder(view: table.view, channel: channel, nodeID: configuration.nodeID, workerID: id,
                                       clientHashSalt: configuration.clientHashSalt, caps: configuration.caps)

        let eventSize = event_get_struct_event_size()
        self.tickEvent = OpaquePointer(UnsafeMutableRawPointer.allocate(byteCount: eventSize, alignment: 16))
        let slots = configuration.maxConnectionsPerWorker
        self.connections = .allocate(capacity: slots)
        self.connectionEvents = .allocate(byteCount: eventSize * slots, alignment: 16)
        self.freeSlots = .allocate(capacity: slots)
        self.freeCount = slots
        self.input = .allocate(byteCount: Self.inputCapacity, alignment: 64)
        self.output = .allocate(byteCount: Self.outputCapacity, alignment: 64)
        self.date = .allocate(byteCount: HTTPDate.length, alignment: 8)
        self.maxPendingBytes = configuration.limits.maxHeadBytes + 64
        self.maxAnswerBytes = HTTPResponses.fixedPartMaxBytes + LocationBuilder.maxLength(
            destinationCount: Destination.maxLength, queryCount: configuration.limits.requestLine,
            clickParameterCount: CodeAlphabet.maxLength)
        precondition(maxAnswerBytes * 2 <= Self.outputCapacity, "request line limit too large for the output buffer")

        let unmanaged = Unmanaged.passUnretained(self)
        for index in 0..<slots {
            let event = OpaquePointer(connectionEvents + index * eventSize)
            (connections + index).initialize(to: Connection(worker: unmanaged, event: event, index: Int32(index)))
            // Pop from the end: lowest slots are used first.
            freeSlots[index] = Int32(slots - 1 - index)
        }
    }

    deinit {
        connections.deinitialize(count: configuration.maxConnectionsPerWorker)
        connections.deallocate()
        connectionEvents.deallocate()
        freeSlots.deallocate()
        input.deallocate()
        output.deallocate()
        date.deallocate()
        UnsafeMutableRawPointer(tickEvent).deallocate()
    }

    /// Asks the worker to stop: it stops accepting, lets busy connections
    /// finish (each answer then closes its connection) for up to the drain
    /// timeout, closes the rest and returns from `run()`. Any thread.
    func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
    }

    // MARK: - The loop

    /// Makes the worker's event base, its listener and its tick, checking each
    /// of libevent's answers; throws, having freed what it made, when one
    /// fails. Called once, before `run()`, on the thread that starts the edge
    /// (the base is then used by the worker's thread only).
    func prepare() throws(EdgeStartError) {
        func fail(_ what: String) -> EdgeStartError { EdgeStartError(description: "edge worker \(id): \(what) failed") }
        guard let config = event_config_new() else { throw fail("event_config_new") }
        defer { event_config_free(config) }
        guard event_config_set_flag(config, Int32(EVENT_BASE_FLAG_NOLOCK.rawValue)) == 0 else { throw fail("event_config_set_flag") }
        guard let base = event_base_new_with_config(config) else { throw fail("event_base_new_with_config") }
        let this = Unmanaged.passUnretained(self).toOpaque()
        guard let listener = evconnlistener_new(base, { _, fd, address, length, arg in
            let worker = Unmanaged<EdgeWorker>.fromOpaque(arg!)
            worker._withUnsafeGuaranteedRef { $0.accepted(fd: fd, address: address, length: length) }
        }, this, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_DISABLED, -1, listenFD) else {
            event_base_free(base)
            throw fail("evconnlistener_new")
        }
        // Created disabled and enabled here: evconnlistener_new ignores the result of enabling it.
        guard evconnlistener_enable(listener) == 0 else {
            evconnlistener_free(listener)
            event_base_free(base)
            throw fail("evconnlistener_enable")
        }
        evconnlistener_set_error_cb(listener, { _, arg in
            let worker = Unmanaged<EdgeWorker>.fromOpaque(arg!)
            worker._withUnsafeGuaranteedRef { $0.acceptFailed() }
        })
        var interval = timeval(tv_sec: 0, tv_usec: Int(Self.tickMilliseconds * 1000))
        guard event_assign(tickEvent, base, -1, Int16(EV_PERSIST), { _, _, arg in
            let worker = Unmanaged<EdgeWorker>.fromOpaque(arg!)
            worker._withUnsafeGuaranteedRef { $0.tick() }
        }, this) == 0, event_add(tickEvent, &interval) == 0 else {
            evconnlistener_free(listener)
            event_base_free(base)
            throw fail("adding the tick event")
        }
        self.base = base
        self.listener = listener
        isListenerEnabled = true
    }

    /// Frees what `prepare()` made, for a worker that will not run (another
    /// one failed to prepare).
    func discard() {
        guard let base else { return }
        if let listener { evconnlistener_free(listener) }
        listener = nil
        _ = event_del(tickEvent)
        event_base_free(base)
        self.base = nil
    }

    /// Runs the event loop of a prepared worker until stopped. On the worker's thread.
    func run() {
        guard let base else { return }
        refreshClocks()
        refreshDate()
        takeNewCountryDatabase()
        histogramStartedAt = nowMonotonic
        if event_base_dispatch(base) == -1 {
            logger.critical("edge worker \(id): event_base_dispatch failed; the worker stops")
        }

        // Stopped: nothing may stay open.
        for index in 0..<configuration.maxConnectionsPerWorker where connections[index].isOpen {
            close(connections + index)
        }
        if let listener { evconnlistener_free(listener) }
        listener = nil
        if event_del(tickEvent) != 0 { logger.error("edge worker \(id): event_del of the tick failed") }
        event_base_free(base)
        self.base = nil
        responder.counters.publish(to: stats, connectionsOpen: openCount)
    }

    @inline(__always)
    func refreshClocks() {
        nowMonotonic = Clocks.monotonicNanoseconds() / 1_000_000
        nowWall = Clocks.wallClockMilliseconds()
    }

    func refreshDate() {
        let second = nowWall / 1000
        guard second != dateSecond else { return }
        dateSecond = second
        HTTPDate.write(secondsSince1970: second, to: date)
    }

    var dateBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: date, count: HTTPDate.length) }
}
