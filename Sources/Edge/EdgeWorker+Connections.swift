#if canImport(Glibc)
import Glibc
#endif
import CLibevent
import ClickModel
import Logging

/// Accepting connections, watching their sockets and closing them: the
/// worker's fixed table of connection slots and its listener.
extension EdgeWorker {
    // MARK: accepting

    func accepted(fd: Int32, address: UnsafeMutablePointer<sockaddr>?, length: Int32) {
        refreshClocks()
        responder.counters.connectionsAccepted += 1
        guard freeCount > 0 else {
            // Full: the listener is disabled when the last slot is taken, so this is a race with it.
            try? System.close(fd)
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
        let trusted = configuration.trustedProxies
        c.pointee.peerTrusted = !trusted.isEmpty && trusted.contains(c.pointee.address)
        c.pointee.awaitingProxyHeader = c.pointee.peerTrusted
        try? System.setIntOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)  // without it, answers are only slower
        openCount += 1
        guard listen(c, for: EV_READ) else { return }
        if freeCount == 0 { disableListener() }
        // The socket was accepted only once data arrived (TCP_DEFER_ACCEPT): read it now.
        readable(c)
    }

    func copyAddress(_ address: UnsafeMutablePointer<sockaddr>?, into c: UnsafeMutablePointer<Connection>) {
        c.pointee.address = .none
        guard let address else { return }
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                c.pointee.address = IPAddress(words: (UInt64(v4.pointee.sin_addr.s_addr), 0), length: 4)
            }
        case AF_INET6:
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                withUnsafeBytes(of: v6.pointee.sin6_addr) { raw in
                    c.pointee.address = IPAddress(words: (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                                                  length: 16).unmapped
                }
            }
        default:
            break
        }
    }

    func acceptFailed() {
        // EMFILE, ENFILE, ENOBUFS...: retrying at once would spin. Pause a little.
        refreshClocks()
        responder.counters.acceptPauses += 1
        disableListener()
        listenerPausedUntil = nowMonotonic + 250
    }

    func disableListener() {
        guard isListenerEnabled, let listener else { return }
        if evconnlistener_disable(listener) != 0 {
            // Still accepting: `accepted` closes what it cannot hold and tries again.
            logger.error("edge worker \(id): evconnlistener_disable failed")
            return
        }
        isListenerEnabled = false
    }

    func enableListenerIfPossible() {
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
    func listen(_ c: UnsafeMutablePointer<Connection>, for what: Int32) -> Bool {
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
    func unwatch(_ c: UnsafeMutablePointer<Connection>) {
        guard c.pointee.isWatched else { return }
        c.pointee.isWatched = false
        if event_del(c.pointee.event) != 0 { logger.error("edge worker \(id): event_del of a connection failed") }
    }

    func switchEvent(_ c: UnsafeMutablePointer<Connection>, to what: Int32) {
        unwatch(c)
        guard listen(c, for: what) else { return }
        c.pointee.isWaitingToWrite = what == EV_WRITE
    }

    func close(_ c: UnsafeMutablePointer<Connection>) {
        guard c.pointee.isOpen else { return }
        unwatch(c)
        try? System.close(c.pointee.fd)  // the descriptor is released whatever close answers
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
}
