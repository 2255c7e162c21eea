#if canImport(Glibc)
import Glibc
#endif
import CLibevent
import ClickModel
import GeoIP
import Atomics
import Histogram
import Logging

/// What the worker does ten times a second on its tick: take a new link
/// table, refresh the date, close slow and idle clients, publish its figures,
/// and drain when asked to stop.
extension EdgeWorker {

    /// Points the responder at the country database in use when it is not
    /// the one it has: at the start (so the first click has its country) and
    /// at each tick after a new file.
    func takeNewCountryDatabase() {
        guard let exchange = configuration.countries, exchange.generation != countriesGeneration else { return }
        countriesGeneration = exchange.generation
        let database = exchange.current
        responder.countries = database?.lookup ?? .none
        responder.countriesGeneration &+= 1
        countries = database  // the previous one is released here, after its last use
    }

    func tick() {
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
        takeNewCountryDatabase()

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

    func beginDraining() {
        isDraining = true
        drainDeadline = nowMonotonic + Int64(configuration.drainTimeoutMilliseconds)
        if let listener {
            evconnlistener_free(listener)
            self.listener = nil
            isListenerEnabled = false
        }
        closeIdleConnections()
    }

    func closeIdleConnections() {
        for index in 0..<configuration.maxConnectionsPerWorker {
            let c = connections + index
            if c.pointee.isOpen && c.pointee.pendingCount == 0 && !c.pointee.hasUnsent { close(c) }
        }
    }

    /// Closes slow and idle clients: a head not complete within the header
    /// timeout, an answer not taken within the write timeout, an idle
    /// keep-alive connection past its timeout.
    func closeExpiredConnections() {
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

    func publishLatency() {
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
