#if canImport(Glibc)
import Glibc
#endif
import Atomics
import CLibevent
import ClickModel
import ClickRing
import Histogram
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
    private let exchange: LinkTableExchange
    private let listenFD: Int32
    private let logger: Logger
    private let stopRequested = ManagedAtomic<Bool>(false)

    static let inputCapacity = 64 * 1024
    static let outputCapacity = 256 * 1024
    static let tickMilliseconds = 100

    // MARK: worker-thread state

    private var base: OpaquePointer?
    private var listener: OpaquePointer?
    private var isListenerEnabled = false
    /// Monotonic ms until which accepting is paused after an accept error; 0 when not paused.
    private var listenerPausedUntil: Int64 = 0
    private let tickEvent: OpaquePointer

    /// The table the responder's view points into: held here so it lives while used.
    private var table: LinkTable
    private var tableGeneration: Int
    /// Answers requests and records clicks; counts on the hot path.
    @exclusivity(unchecked) private var responder: EdgeResponder

    private var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .two)
    private var histogramStartedAt: Int64 = 0

    private let connections: UnsafeMutablePointer<Connection>
    private let connectionEvents: UnsafeMutableRawPointer
    private let freeSlots: UnsafeMutablePointer<Int32>
    private var freeCount: Int
    private var openCount = 0

    private let input: UnsafeMutableRawPointer
    private let output: UnsafeMutableRawPointer
    /// The most an answer can take: its fixed part, a destination, and a query
    /// that fits in a request line, each byte encoded as three.
    private let maxAnswerBytes: Int
    /// The most bytes of a request head a connection keeps while it arrives.
    private let maxPendingBytes: Int

    private let date: UnsafeMutableRawPointer
    private var dateSecond: Int64 = -1
    private var ticks = 0
    /// Monotonic milliseconds at the start of the current callback.
    private var nowMonotonic: Int64 = 0
    /// Wall-clock milliseconds at the start of the current callback.
    private var nowWall: Int64 = 0

    private var isDraining = false
    private var drainDeadline: Int64 = 0

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
                                       clientHashSalt: configuration.clientHashSalt)

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
    private func refreshClocks() {
        nowMonotonic = Clocks.monotonicNanoseconds() / 1_000_000
        nowWall = Clocks.wallClockMilliseconds()
    }

    private func refreshDate() {
        let second = nowWall / 1000
        guard second != dateSecond else { return }
        dateSecond = second
        HTTPDate.write(secondsSince1970: second, to: date)
    }

    private var dateBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: date, count: HTTPDate.length) }

    // MARK: - Accepting

    private func accepted(fd: Int32, address: UnsafeMutablePointer<sockaddr>?, length: Int32) {
        refreshClocks()
        responder.counters.connectionsAccepted += 1
        guard freeCount > 0 else {
            // Full: the listener is disabled when the last slot is taken, so this is a race with it.
            Glibc.close(fd)
            disableListener()
            return
        }
        freeCount -= 1
        let c = connections + Int(freeSlots[freeCount])
        c.pointee.fd = fd
        c.pointee.lastActivity = nowMonotonic
        c.pointee.requestStartedAt = nowMonotonic
        c.pointee.scanner.reset()
        c.pointee.closeAfterWrite = false
        c.pointee.isWaitingToWrite = false
        copyAddress(address, into: c)
        _ = System.setIntOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        openCount += 1
        guard listen(c, for: EV_READ) else { return }
        if freeCount == 0 { disableListener() }
        // The socket was accepted only once data arrived (TCP_DEFER_ACCEPT): read it now.
        readable(c)
    }

    private func copyAddress(_ address: UnsafeMutablePointer<sockaddr>?, into c: UnsafeMutablePointer<Connection>) {
        c.pointee.address = (0, 0)
        c.pointee.addressLength = 0
        guard let address else { return }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                c.pointee.address.0 = UInt64(v4.pointee.sin_addr.s_addr)
                c.pointee.addressLength = 4
            }
        case AF_INET6:
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafeBytes(of: v6.pointee.sin6_addr) { raw in
                    c.pointee.address = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                }
                c.pointee.addressLength = 16
            }
        default:
            break
        }
    }

    private func acceptFailed() {
        // EMFILE, ENFILE, ENOBUFS...: retrying at once would spin. Pause a little.
        refreshClocks()
        responder.counters.acceptPauses += 1
        disableListener()
        listenerPausedUntil = nowMonotonic + 250
    }

    private func disableListener() {
        guard isListenerEnabled, let listener else { return }
        if evconnlistener_disable(listener) != 0 {
            // Still accepting: `accepted` closes what it cannot hold and tries again.
            logger.error("edge worker \(id): evconnlistener_disable failed")
            return
        }
        isListenerEnabled = false
    }

    private func enableListenerIfPossible() {
        guard !isListenerEnabled, !isDraining, listenerPausedUntil == 0, freeCount > 0, let listener else { return }
        if evconnlistener_enable(listener) != 0 {
            logger.error("edge worker \(id): evconnlistener_enable failed; trying again shortly")
            listenerPausedUntil = nowMonotonic + 250
            return
        }
        isListenerEnabled = true
    }

    // MARK: - Connections

    /// Watches the connection's socket for `what` (EV_READ or EV_WRITE);
    /// false, with the connection closed, when libevent refuses.
    @discardableResult
    private func listen(_ c: UnsafeMutablePointer<Connection>, for what: Int32) -> Bool {
        let assigned = event_assign(c.pointee.event, base, c.pointee.fd, Int16(what | EV_PERSIST), { _, events, arg in
            let c = arg!.assumingMemoryBound(to: Connection.self)
            c.pointee.worker._withUnsafeGuaranteedRef { worker in
                if Int32(events) & EV_WRITE != 0 {
                    worker.writable(c)
                } else {
                    worker.readable(c)
                }
            }
        }, UnsafeMutableRawPointer(c))
        guard assigned == 0, event_add(c.pointee.event, nil) == 0 else {
            logger.error("edge worker \(id): cannot watch a connection (event_assign or event_add failed); closing it")
            c.pointee.isWatched = false
            close(c)
            return false
        }
        c.pointee.isWatched = true
        return true
    }

    /// Stops watching the connection's socket.
    private func unwatch(_ c: UnsafeMutablePointer<Connection>) {
        guard c.pointee.isWatched else { return }
        c.pointee.isWatched = false
        if event_del(c.pointee.event) != 0 { logger.error("edge worker \(id): event_del of a connection failed") }
    }

    private func switchEvent(_ c: UnsafeMutablePointer<Connection>, to what: Int32) {
        unwatch(c)
        guard listen(c, for: what) else { return }
        c.pointee.isWaitingToWrite = what == EV_WRITE
    }

    private func close(_ c: UnsafeMutablePointer<Connection>) {
        guard c.pointee.isOpen else { return }
        unwatch(c)
        Glibc.close(c.pointee.fd)
        c.pointee.fd = -1
        c.pointee.pending?.deallocate()
        c.pointee.pending = nil
        c.pointee.pendingCount = 0
        c.pointee.pendingCapacity = 0
        c.pointee.unsent?.deallocate()
        c.pointee.unsent = nil
        c.pointee.unsentStart = 0
        c.pointee.unsentCount = 0
        c.pointee.unsentCapacity = 0
        freeSlots[freeCount] = c.pointee.index
        freeCount += 1
        openCount -= 1
        enableListenerIfPossible()
    }

    // MARK: - Reading and answering

    private func readable(_ c: UnsafeMutablePointer<Connection>) {
        let started = Clocks.monotonicNanoseconds()
        nowMonotonic = started / 1_000_000
        nowWall = Clocks.wallClockMilliseconds()

        let buffer: UnsafeMutableRawPointer
        let existing = c.pointee.pendingCount
        let room: Int
        if existing > 0 {
            reservePending(c, capacity: maxPendingBytes)
            buffer = c.pointee.pending!
            room = c.pointee.pendingCapacity - existing
        } else {
            buffer = input
            room = Self.inputCapacity
        }
        guard room > 0 else {
            // The scanner refuses a head before it outgrows the buffer; this is a guard, not a path.
            refuse(c, .headersTooLarge)
            return
        }
        let received = Glibc.read(c.pointee.fd, buffer + existing, room)
        if received <= 0 {
            if received == 0 || !System.wouldBlock(System.errno) { close(c) }
            return
        }
        c.pointee.lastActivity = nowMonotonic
        let count = existing + received
        let consumed = serve(c, buffer, count, startedAt: started)
        keepUnconsumed(c, buffer, count: count, consumed: consumed)
    }

    private func writable(_ c: UnsafeMutablePointer<Connection>) {
        refreshClocks()
        let sent = send(c.pointee.fd, c.pointee.unsent! + c.pointee.unsentStart, c.pointee.unsentCount, Int32(MSG_NOSIGNAL))
        if sent < 0 {
            if !System.wouldBlock(System.errno) { close(c) }
            return
        }
        c.pointee.lastActivity = nowMonotonic
        c.pointee.unsentStart += sent
        c.pointee.unsentCount -= sent
        guard c.pointee.unsentCount == 0 else { return }
        c.pointee.unsentStart = 0
        if c.pointee.closeAfterWrite {
            close(c)
            return
        }
        switchEvent(c, to: EV_READ)
        guard c.pointee.isOpen else { return }
        // Requests that arrived while the client was not reading.
        if c.pointee.pendingCount > 0, let pending = c.pointee.pending {
            let count = c.pointee.pendingCount
            let consumed = serve(c, pending, count, startedAt: Clocks.monotonicNanoseconds())
            keepUnconsumed(c, pending, count: count, consumed: consumed)
        }
    }

    /// Answers every complete request in `buffer[0..<count]`, in order, and
    /// writes the answers. Returns how many bytes it consumed; the rest is an
    /// incomplete head, or requests held back while the client is not reading.
    private func serve(_ c: UnsafeMutablePointer<Connection>, _ buffer: UnsafeMutableRawPointer, _ count: Int, startedAt: Int64) -> Int {
        var writer = ByteWriter(base: output, capacity: Self.outputCapacity)
        var offset = 0
        var served = 0
        scanning: while offset < count && !c.pointee.closeAfterWrite {
            if writer.remaining < maxAnswerBytes {
                guard flush(c, &writer) else { break scanning }
            }
            let available = UnsafeRawBufferPointer(start: buffer + offset, count: count - offset)
            switch c.pointee.scanner.scan(available, limits: configuration.limits) {
            case .incomplete:
                break scanning
            case .failure(let failure):
                responder.refuse(failure, date: dateBytes, to: &writer)
                c.pointee.closeAfterWrite = true
                offset = count
            case .complete(let start, let end):
                let head = UnsafeRawBufferPointer(rebasing: available[start..<end])
                c.pointee.scanner.reset()
                served += 1
                switch HTTPRequestParser.parse(head) {
                case .failure(let failure):
                    responder.refuse(failure, date: dateBytes, to: &writer)
                    c.pointee.closeAfterWrite = true
                    offset = count
                case .success(let request):
                    let client = ClientAddress(words: c.pointee.address, length: c.pointee.addressLength)
                    if responder.answer(request, head: head, client: client, now: nowWall, date: dateBytes,
                                        closing: isDraining, to: &writer) {
                        offset += end
                    } else {
                        // The connection closes after this answer: what follows is discarded.
                        c.pointee.closeAfterWrite = true
                        offset = count
                    }
                }
            }
        }
        let flushed = flush(c, &writer)
        if served > 0 {
            let elapsed = max(0, Int(Clocks.monotonicNanoseconds() - startedAt))
            _ = histogram.record(UInt64(elapsed), count: UInt64(served))
            responder.counters.recordLatency(elapsed, requests: served)
        }
        if flushed && c.pointee.closeAfterWrite { close(c) }
        return offset
    }

    /// Keeps the bytes `serve` did not consume for the next read.
    private func keepUnconsumed(_ c: UnsafeMutablePointer<Connection>, _ buffer: UnsafeMutableRawPointer, count: Int, consumed: Int) {
        guard c.pointee.isOpen else { return }
        let leftover = count - consumed
        guard leftover > 0 else {
            c.pointee.pendingCount = 0
            c.pointee.requestStartedAt = 0
            return
        }
        if consumed > 0 || c.pointee.requestStartedAt == 0 {
            // A new request began: its head must arrive within the header timeout.
            c.pointee.requestStartedAt = nowMonotonic
        }
        if buffer == c.pointee.pending {
            if consumed > 0 { buffer.copyMemory(from: buffer + consumed, byteCount: leftover) }
        } else {
            reservePending(c, capacity: max(leftover, 4096))
            c.pointee.pending!.copyMemory(from: buffer + consumed, byteCount: leftover)
        }
        c.pointee.pendingCount = leftover
    }

    private func reservePending(_ c: UnsafeMutablePointer<Connection>, capacity: Int) {
        let wanted = min(max(capacity, c.pointee.pendingCount), max(maxPendingBytes, c.pointee.pendingCount))
        guard c.pointee.pendingCapacity < wanted else { return }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: wanted, alignment: 16)
        if let old = c.pointee.pending {
            grown.copyMemory(from: old, byteCount: c.pointee.pendingCount)
            old.deallocate()
        }
        c.pointee.pending = grown
        c.pointee.pendingCapacity = wanted
    }

    /// Sends what `writer` holds. False when the client cannot take it all now
    /// (the rest waits in `unsent` and reading pauses) or the connection failed.
    private func flush(_ c: UnsafeMutablePointer<Connection>, _ writer: inout ByteWriter) -> Bool {
        let count = writer.count
        guard count > 0 else { return c.pointee.isOpen }
        writer.removeAll()
        guard c.pointee.isOpen else { return false }
        var sent = send(c.pointee.fd, output, count, Int32(MSG_NOSIGNAL))
        if sent == count { return true }
        if sent < 0 {
            guard System.wouldBlock(System.errno) else {
                close(c)
                return false
            }
            sent = 0
        }
        keepUnsent(c, output + sent, count - sent)
        switchEvent(c, to: EV_WRITE)
        return false
    }

    private func keepUnsent(_ c: UnsafeMutablePointer<Connection>, _ bytes: UnsafeRawPointer, _ count: Int) {
        let needed = c.pointee.unsentStart + c.pointee.unsentCount + count
        if c.pointee.unsentCapacity < needed {
            let grown = UnsafeMutableRawPointer.allocate(byteCount: needed, alignment: 16)
            if let old = c.pointee.unsent {
                grown.copyMemory(from: old + c.pointee.unsentStart, byteCount: c.pointee.unsentCount)
                old.deallocate()
            }
            c.pointee.unsent = grown
            c.pointee.unsentCapacity = needed
            c.pointee.unsentStart = 0
        }
        (c.pointee.unsent! + c.pointee.unsentStart + c.pointee.unsentCount).copyMemory(from: bytes, byteCount: count)
        c.pointee.unsentCount += count
    }

    /// Answers a refused request head on its own (outside `serve`).
    private func refuse(_ c: UnsafeMutablePointer<Connection>, _ failure: HTTPFailure) {
        var writer = ByteWriter(base: output, capacity: Self.outputCapacity)
        responder.refuse(failure, date: dateBytes, to: &writer)
        c.pointee.closeAfterWrite = true
        if flush(c, &writer) { close(c) }
    }

    // MARK: - Housekeeping, ten times a second

    private func tick() {
        refreshClocks()
        ticks += 1
        if stopRequested.load(ordering: .relaxed) && !isDraining { beginDraining() }

        let generation = exchange.generation
        if generation != tableGeneration {
            // Swap on this thread: the old table is released here, after its last use.
            let newTable = exchange.current
            responder.view = newTable.view
            table = newTable
            tableGeneration = generation
            stats.catalogueVersion.store(Int(newTable.version), ordering: .relaxed)
        }

        refreshDate()
        if listenerPausedUntil != 0 && nowMonotonic >= listenerPausedUntil {
            listenerPausedUntil = 0
            enableListenerIfPossible()
        }
        if ticks % 10 == 0 {
            closeExpiredConnections()
            publishLatency()
        }
        if isDraining {
            closeIdleConnections()
            if openCount == 0 || nowMonotonic >= drainDeadline {
                for index in 0..<configuration.maxConnectionsPerWorker where connections[index].isOpen {
                    close(connections + index)
                }
                if event_base_loopbreak(base) != 0 { logger.critical("edge worker \(id): event_base_loopbreak failed") }
            }
        }
        responder.counters.publish(to: stats, connectionsOpen: openCount)
    }

    private func beginDraining() {
        isDraining = true
        drainDeadline = nowMonotonic + Int64(configuration.drainTimeoutMilliseconds)
        if let listener {
            evconnlistener_free(listener)
            self.listener = nil
            isListenerEnabled = false
        }
        closeIdleConnections()
    }

    private func closeIdleConnections() {
        for index in 0..<configuration.maxConnectionsPerWorker {
            let c = connections + index
            if c.pointee.isOpen && c.pointee.pendingCount == 0 && !c.pointee.hasUnsent { close(c) }
        }
    }

    /// Closes slow and idle clients: a head not complete within the header
    /// timeout, an answer not taken within the write timeout, an idle
    /// keep-alive connection past its timeout.
    private func closeExpiredConnections() {
        let headerTimeout = Int64(configuration.headerTimeoutMilliseconds)
        let writeTimeout = Int64(configuration.writeTimeoutMilliseconds)
        let idleTimeout = Int64(configuration.keepAliveTimeoutMilliseconds)
        for index in 0..<configuration.maxConnectionsPerWorker {
            let c = connections + index
            guard c.pointee.isOpen else { continue }
            let expired: Bool
            if c.pointee.hasUnsent {
                expired = nowMonotonic - c.pointee.lastActivity > writeTimeout
            } else if c.pointee.requestStartedAt != 0 {
                expired = nowMonotonic - c.pointee.requestStartedAt > headerTimeout
            } else {
                expired = nowMonotonic - c.pointee.lastActivity > idleTimeout
            }
            if expired {
                responder.counters.connectionsTimedOut += 1
                close(c)
            }
        }
    }

    private func publishLatency() {
        if histogram.totalCount > 0 {
            stats.latencyP50Nanoseconds.store(Int(histogram.valueAtPercentile(50)), ordering: .relaxed)
            stats.latencyP99Nanoseconds.store(Int(histogram.valueAtPercentile(99)), ordering: .relaxed)
        }
        // A window of about ten seconds.
        if nowMonotonic - histogramStartedAt >= 10_000 {
            histogram.reset()
            histogramStartedAt = nowMonotonic
        }
    }
}
