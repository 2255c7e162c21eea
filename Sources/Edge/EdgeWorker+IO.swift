#if canImport(Glibc)
import Glibc
#endif
import CLibevent
import ClickModel
import Histogram
import Platform

/// Reading requests and writing answers on a connection: the per-request
/// path, which allocates nothing (see `EdgeWorker`).
extension EdgeWorker {

    func readable(_ c: UnsafeMutablePointer<Connection>) {
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
        let received: Int
        do {
            switch try System.read(c.pointee.fd, buffer + existing, room) {
            case .wouldBlock: return
            case .processed(0): close(c); return  // the client closed its side
            case .processed(let count): received = count
            }
        } catch {
            close(c)  // reset or gone
            return
        }
        c.pointee.lastActivity = nowMonotonic
        let count = existing + received
        let consumed = serve(c, buffer, count, startedAt: started)
        keepUnconsumed(c, buffer, count: count, consumed: consumed)
    }

    func writable(_ c: UnsafeMutablePointer<Connection>) {
        refreshClocks()
        let sent: Int
        do {
            guard case .processed(let count) = try System.send(c.pointee.fd, c.pointee.unsent! + c.pointee.unsentStart, c.pointee.unsentCount)
            else { return }
            sent = count
        } catch {
            close(c)
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
    func serve(_ c: UnsafeMutablePointer<Connection>, _ buffer: UnsafeMutableRawPointer, _ count: Int, startedAt: Int64) -> Int {
        var offset = 0
        if c.pointee.awaitingProxyHeader {
            switch ProxyHeader.parse(UnsafeRawBufferPointer(start: buffer, count: count)) {
            case .incomplete:
                return 0
            case .malformed:
                // Not worth an answer: the balancer is misconfigured, or someone is probing.
                c.pointee.closeAfterWrite = true
                offset = count
            case .absent:
                c.pointee.awaitingProxyHeader = false
            case .header(let length, let source):
                c.pointee.awaitingProxyHeader = false
                if let source {
                    c.pointee.address = source
                    c.pointee.peerTrusted = configuration.trustedProxies.contains(source)
                }
                offset = length
            }
        }
        var writer = ByteWriter(base: output, capacity: Self.outputCapacity)
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
                    var client = c.pointee.address
                    if c.pointee.peerTrusted && !request.forwardedFor.isEmpty {
                        client = configuration.trustedProxies.client(peer: client, forwardedFor: request.forwardedFor.bytes(in: head))
                    }
                    if responder.answer(request, head: head, client: client, now: nowWall, date: dateBytes,
                                        closing: isDraining, visitor: &c.pointee.visitor, to: &writer) {
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
    func keepUnconsumed(_ c: UnsafeMutablePointer<Connection>, _ buffer: UnsafeMutableRawPointer, count: Int, consumed: Int) {
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

    func reservePending(_ c: UnsafeMutablePointer<Connection>, capacity: Int) {
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
    func flush(_ c: UnsafeMutablePointer<Connection>, _ writer: inout ByteWriter) -> Bool {
        let count = writer.count
        guard count > 0 else { return c.pointee.isOpen }
        writer.removeAll()
        guard c.pointee.isOpen else { return false }
        let sent: Int
        do {
            switch try System.send(c.pointee.fd, output, count) {
            case .processed(count): return true
            case .processed(let some): sent = some
            case .wouldBlock: sent = 0
            }
        } catch {
            close(c)
            return false
        }
        keepUnsent(c, output + sent, count - sent)
        switchEvent(c, to: EV_WRITE)
        return false
    }

    func keepUnsent(_ c: UnsafeMutablePointer<Connection>, _ bytes: UnsafeRawPointer, _ count: Int) {
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
    func refuse(_ c: UnsafeMutablePointer<Connection>, _ failure: HTTPFailure) {
        var writer = ByteWriter(base: output, capacity: Self.outputCapacity)
        responder.refuse(failure, date: dateBytes, to: &writer)
        c.pointee.closeAfterWrite = true
        if flush(c, &writer) { close(c) }
    }
}
