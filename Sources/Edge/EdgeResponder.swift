import ClickCaps
import ClickModel
import ClickRing
import GeoIP

/// Everything between the parser and the socket: the answer to one parsed
/// request and the click it records. No I/O, so benchmarks and tests drive
/// exactly what the edge runs. One per worker, used on its thread only.
///
/// The answer is written whatever happens to the click: a full ring drops the
/// click and counts it.
public struct EdgeResponder {
    /// The link table the worker currently holds; the worker replaces it.
    public var view: LinkTable.View
    public let channel: ClickChannel
    var ids: ClickIDGenerator
    let workerID: UInt8
    let clientHashSalt: UInt64
    /// Counters of capped links; nil: caps are not checked.
    let caps: CapLedger?
    /// Lookups into the country database; `.none` without one. The worker
    /// replaces it, and bumps `countriesGeneration`, when a new file is loaded.
    public var countries = CountryLookup.none
    public var countriesGeneration: UInt32 = 1
    /// Counted here on the hot path, published by the worker on its tick.
    var counters = WorkerCounters()

    public init(view: LinkTable.View, channel: ClickChannel, nodeID: Int, workerID: Int, clientHashSalt: UInt64,
                caps: CapLedger? = nil) {
        self.view = view
        self.channel = channel
        self.ids = ClickIDGenerator(node: nodeID, worker: workerID)
        self.workerID = UInt8(truncatingIfNeeded: workerID)
        self.clientHashSalt = clientHashSalt
        self.caps = caps
    }

    /// Keeps the split's hash apart from the client hash, which shares its salt.
    static let splitKeyTweak: UInt64 = 0x5EED_5B17_A4B7_E57A

    /// Clicks dropped so far because the ring was full.
    public var droppedClicks: Int { counters.dropped }

    /// Writes the answer to one request and records its click.
    ///
    /// - Parameters:
    ///   - request: the parsed head; its ranges index `head`.
    ///   - head: the request head's bytes.
    ///   - client: who sent it.
    ///   - now: wall-clock milliseconds since the Unix epoch.
    ///   - date: the 29-byte Date header value.
    ///   - closing: the connection closes after this answer whatever the request says (shutdown).
    ///   - visitor: the country and device classes of the connection's last client, found again when the client, its
    ///     user agent or the country database changes.
    /// - Returns: whether the connection stays open.
    @inline(__always)
    public mutating func answer(
        _ request: RequestHead, head: UnsafeRawBufferPointer, client: IPAddress, now: Int64,
        date: UnsafeRawBufferPointer, closing: Bool, visitor: inout VisitorCache, to writer: inout ByteWriter
    ) -> Bool {
        counters.requests += 1
        let keepAlive = request.keepAlive && !closing
        let connection: HTTPResponses.ConnectionHeader = !keepAlive ? .close : request.isHTTP11 ? .none : .keepAlive
        let isHead = request.method == .head
        guard request.method != .other else {
            counters.methodNotAllowed += 1
            HTTPResponses.write(status: 405, date: date, connection: .close, includeBody: true, to: &writer)
            return false
        }
        let target = request.target.bytes(in: head)
        switch TrackingTarget.parse(target) {
        case .tracking(let path):
            guard var resolution = view.resolve(path, in: target, now: now) else {
                counters.notFound += 1
                HTTPResponses.write(status: 404, date: date, connection: connection, includeBody: !isHead, to: &writer)
                return keepAlive
            }
            let query = path.query.map { $0.bytes(in: target) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            let userAgent = request.userAgent.bytes(in: head)
            let botReason = BotDetector.classify(isHead: isHead, isPrefetch: request.isPrefetch, userAgent: userAgent)
            let clientHash = FastHash.bytes(userAgent, seed: FastHash.combine(
                clientHashSalt ^ UInt64(client.length), FastHash.combine(client.words.0, client.words.1)))
            let country = country(of: client, cache: &visitor)
            let traits = traits(of: userAgent, hash: clientHash, cache: &visitor)
            if resolution.outcome == .billable || resolution.outcome == .unattributed {
                if let caps, view.capCount(resolution) != 0 {
                    applyCaps(&resolution, ledger: caps, isBot: botReason.isBot, now: now)
                }
                if resolution.outcome != .capped && view.hasRules(resolution) {
                    view.applyRules(&resolution, LinkTable.View.RuleInput(
                        userAgent: userAgent, acceptLanguage: request.acceptLanguage.bytes(in: head), query: query,
                        client: client, country: country, now: now, splitKey: clientHashSalt ^ Self.splitKeyTweak,
                        devices: traits.devices, browser: traits.browser))
                }
            }
            redirect(resolution, botReason: botReason, query: query, clientHash: clientHash, network: ClientNetwork(client),
                     country: country, devices: traits.devices, now: now,
                     date: date, connection: connection, to: &writer)
            return keepAlive
        case .health:
            counters.health += 1
            HTTPResponses.write(status: 200, date: date, connection: connection, includeBody: !isHead, to: &writer)
            return keepAlive
        case .notFound:
            counters.notFound += 1
            HTTPResponses.write(status: 404, date: date, connection: connection, includeBody: !isHead, to: &writer)
            return keepAlive
        case .malformed(let reason):
            counters.malformedPaths[Int(reason.rawValue)] += 1
            HTTPResponses.write(status: 400, date: date, connection: .close, includeBody: !isHead, to: &writer)
            return false
        }
    }

    /// `answer` for a request with no connection behind it (tests, benchmarks).
    public mutating func answer(
        _ request: RequestHead, head: UnsafeRawBufferPointer, client: IPAddress, now: Int64,
        date: UnsafeRawBufferPointer, closing: Bool, to writer: inout ByteWriter
    ) -> Bool {
        var cache = VisitorCache()
        return answer(request, head: head, client: client, now: now, date: date, closing: closing, visitor: &cache, to: &writer)
    }

    /// The client's country, from the connection's cache when it holds this
    /// client for the current database.
    @inline(__always)
    private func country(of client: IPAddress, cache: inout VisitorCache) -> CountryCode {
        guard countries.isAvailable else { return .none }
        if cache.generation == countriesGeneration && cache.address == client { return cache.country }
        let country = countries.country(of: client)
        (cache.address, cache.country, cache.generation) = (client, country, countriesGeneration)
        return country
    }

    /// The visitor's device classes and browser (its bit), from the
    /// connection's cache when it holds the same client and user agent
    /// (`hash`, the click's client hash, covers both).
    @inline(__always)
    private func traits(of userAgent: UnsafeRawBufferPointer, hash: UInt64, cache: inout VisitorCache) -> (devices: UInt16, browser: UInt16) {
        let key = hash | 1  // never 0, the empty cache's
        if cache.agent == key { return (cache.devices, cache.browser) }
        let traits = VisitorTraits.classify(userAgent: userAgent)
        (cache.agent, cache.devices, cache.browser) = (key, traits.devices, traits.browser?.bit ?? 0)
        return (cache.devices, cache.browser)
    }

    /// Writes the answer to a head the parser refused; the connection then closes.
    public mutating func refuse(_ failure: HTTPFailure, date: UnsafeRawBufferPointer, to writer: inout ByteWriter) {
        counters.failures[Int(failure.rawValue)] += 1
        HTTPResponses.write(status: failure.status, date: date, connection: .close, includeBody: true, to: &writer)
    }

    /// Counts the click against each of its link's caps, and makes it
    /// `capped` at the first cap it would exceed (giving back what the caps
    /// before that one counted). A bot is stopped by a reached cap but counts
    /// against none.
    @inline(never)
    private func applyCaps(_ resolution: inout LinkTable.Resolution, ledger: CapLedger, isBot: Bool, now: Int64) {
        let day = CapLedger.day(now)
        var counted: UInt8 = 0
        for i in 0..<view.capCount(resolution) {
            let cap = view.cap(resolution, i)
            let partner = cap.perPartner ? resolution.creditedPartnerID : 0
            if cap.perPartner && partner == 0 { continue }  // unattributed: no partner to count against
            let key = CapLedger.Key(linkID: resolution.linkID, cap: cap.index, partnerID: partner)
            let period = cap.daily ? day : CapLedger.totalPeriod
            if isBot {
                if !ledger.isReached(key, period: period, max: cap.maxClicks) { continue }
            } else if ledger.take(key, period: period, max: cap.maxClicks) {
                counted |= 1 << i
                continue
            }
            for j in 0..<i where counted & (1 << j) != 0 {
                let earlier = view.cap(resolution, j)
                ledger.giveBack(CapLedger.Key(linkID: resolution.linkID, cap: earlier.index, partnerID: earlier.perPartner ? partner : 0),
                                period: earlier.daily ? day : CapLedger.totalPeriod)
            }
            resolution.outcome = .capped
            resolution.cap = cap.index + 1
            return
        }
    }

    @inline(__always)
    private mutating func redirect(
        _ resolution: LinkTable.Resolution, botReason: BotReason, query: UnsafeRawBufferPointer, clientHash: UInt64,
        network: ClientNetwork, country: CountryCode, devices: UInt16, now: Int64, date: UnsafeRawBufferPointer,
        connection: HTTPResponses.ConnectionHeader, to writer: inout ByteWriter
    ) {
        let parts = view.location(of: resolution)
        let clickID = ids.next(milliseconds: UInt64(now))

        HTTPResponses.startRedirect(to: &writer)
        LocationBuilder.append(
            destination: parts.destination, fragmentOffset: parts.fragmentOffset,
            destinationHasQuery: parts.destinationHasQuery, query: query,
            clickParameter: parts.clickParameter, clickID: parts.addsClickID ? clickID : nil, to: &writer)
        HTTPResponses.finishRedirect(date: date, connection: connection, to: &writer)
        counters.redirects += 1

        let outcome = botReason.isBot ? ClickOutcome.bot : resolution.outcome
        counters.outcomes[Int(outcome.rawValue)] += 1
        var flags = resolution.flags
        if parts.usesFallback { flags.insert(.usedFallback) }
        let workerID = self.workerID

        let hasSubIDs = query.count > 0 && QueryString.hasSubID(query)
        let pushed = channel.tryPush(hasSubIDs: hasSubIDs, { record in
            record.pointee.id = clickID
            record.pointee.clientHash = clientHash
            record.pointee.network = network
            record.pointee.offerID = resolution.offerID
            record.pointee.linkID = resolution.linkID
            record.pointee.creditedPartnerID = resolution.creditedPartnerID
            record.pointee.generatingPartnerID = resolution.generatingPartnerID
            record.pointee.adID = resolution.adID
            record.pointee.outcome = outcome
            record.pointee.flags = flags
            record.pointee.botReason = botReason
            record.pointee.workerID = workerID
            record.pointee.rule = resolution.rule
            record.pointee.variant = resolution.variant
            record.pointee.country = country
            record.pointee.devices = devices
            record.pointee.quality = []
        }, subIDs: { subIDs in
            QueryString.storeSubIDs(query, into: &subIDs.pointee)
        })
        if !pushed { counters.dropped += 1 }
    }
}

/// A connection's last client and user agent, with their country and device
/// classes: a keep-alive connection looks its client up and classifies its
/// user agent once.
public struct VisitorCache: BitwiseCopyable {
    var address = IPAddress.none
    var country = CountryCode.none
    /// The responder's `countriesGeneration` the country was looked up in; 0: never.
    var generation: UInt32 = 0
    /// The client hash (address and user agent) the device classes are of, with its low bit set; 0: none yet.
    var agent: UInt64 = 0
    var devices: UInt16 = 0
    var browser: UInt16 = 0

    public init() {}
}
