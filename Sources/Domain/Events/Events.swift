/// What a brand's own systems hear about (SPEC section 13): each event is
/// written to the store in the transaction of the change it reports, and
/// delivered to every webhook endpoint that asked for its type.
public enum EventType: String, Sendable, CaseIterable, Codable {
    case conversionCreated = "conversion.created"
    case conversionReversed = "conversion.reversed"
    /// A brand approved or rejected a conversion in review (SPEC section
    /// 14); `data` is the conversion, its `review_log` ending with the decision.
    case conversionReviewed = "conversion.reviewed"
    case commissionApproved = "commission.approved"
    case paymentCreated = "payment.created"
    /// A partner joined an offer; `data` is the member.
    case memberAdded = "member.added"
    /// A member of a promo-code offer was given a code, on joining or
    /// refreshed; `data` is the member with it.
    case promoCodeGenerated = "promo_code.generated"
    /// A code was used on an order, whoever was credited; `data` is the
    /// code's member, its `promo_uses` counting the order.
    case promoCodeRedeemed = "promo_code.redeemed"
    /// A code was flagged as leaked (SPEC section 14); `data` is the member,
    /// its `leak` the evidence.
    case promoCodeLeaked = "promo_code.leaked"
    case partnerCreated = "partner.created"
    case linkCreated = "link.created"
    case linkUpdated = "link.updated"
    case offerUpdated = "offer.updated"
    /// Sent by `POST /v1/webhooks/{id}/test`, to that endpoint alone; no
    /// endpoint asks for it.
    case webhookTest = "webhook.test"

    /// The types an endpoint can ask for.
    public static let subscribable: [EventType] = allCases.filter { $0 != .webhookTest }
}

/// An event as stored: `data` is the JSON of the object as the API shows it,
/// written when the event happened.
public struct Event: Sendable, Equatable {
    public var id: Int64
    /// `evt_` and 26 characters: the `id` receivers see, and deduplicate by.
    public var key: String
    public var type: EventType
    public var createdAt: Int64
    public var data: String

    public init(id: Int64, key: String, type: EventType, createdAt: Int64, data: String) {
        self.id = id
        self.key = key
        self.type = type
        self.createdAt = createdAt
        self.data = data
    }

    /// `{"id", "type", "created_at", "data"}`, the body every delivery sends.
    /// `data` is already JSON and goes in as it is.
    public func body(createdAtText: String) -> String {
        "{\"id\":\"\(key)\",\"type\":\"\(type.rawValue)\",\"created_at\":\"\(createdAtText)\",\"data\":\(data)}"
    }

    /// A new key: `evt_` and 26 characters of Crockford's base 32 from 128 random bits.
    public static func newKey<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        var value = (UInt64.random(in: .min ... .max, using: &generator), UInt64.random(in: .min ... .max, using: &generator))
        var characters: [Character] = []
        characters.reserveCapacity(26)
        for _ in 0..<26 {
            let digit = Int(value.1 & 31)
            characters.append(alphabet[digit])
            value.1 = value.1 >> 5 | value.0 << 59
            value.0 >>= 5
        }
        return "evt_" + String(characters)
    }
}

public enum EndpointStatus: String, Sendable, CaseIterable {
    case active
    case disabled
}

/// Where a brand wants events sent.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: Int64
    public var url: String
    public var events: [EventType]
    public var status: EndpointStatus
    /// `whsec_` and base 64: the key that signs deliveries.
    public var secret: String
    /// The secret before the last rotation, which still signs until `previousSecretUntil`.
    public var previousSecret: String?
    public var previousSecretUntil: Int64?
    /// When its deliveries started failing without one succeeding since.
    public var failingSince: Int64?
    /// Why it was disabled by the sender (410 Gone, or failing too long); nil when a person did it.
    public var disabledReason: String?
    public var createdAt: Int64

    public init(id: Int64, url: String, events: [EventType], status: EndpointStatus, secret: String, previousSecret: String? = nil,
                previousSecretUntil: Int64? = nil, failingSince: Int64? = nil, disabledReason: String? = nil, createdAt: Int64) {
        self.id = id
        self.url = url
        self.events = events
        self.status = status
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretUntil = previousSecretUntil
        self.failingSince = failingSince
        self.disabledReason = disabledReason
        self.createdAt = createdAt
    }

    /// The secrets a delivery at `now` is signed with: the current one, and
    /// the previous one for 24 hours after a rotation.
    public func signingSecrets(at now: Int64) -> [String] {
        guard let previousSecret, let until = previousSecretUntil, now < until else { return [secret] }
        return [secret, previousSecret]
    }

    /// How long a rotated secret keeps signing.
    public static let rotationOverlap: Int64 = 24 * 3_600_000
}

/// What may change on an endpoint: nil leaves a field as it is.
public struct EndpointChange: Sendable, Equatable {
    public var url: String?
    public var events: [EventType]?
    public var status: EndpointStatus?

    public init(url: String? = nil, events: [EventType]? = nil, status: EndpointStatus? = nil) {
        self.url = url
        self.events = events
        self.status = status
    }
}

/// A delivery of one event to one endpoint whose next attempt is due, with
/// what the attempt needs.
public struct DueDelivery: Sendable, Equatable {
    public var id: Int64
    /// Attempts made before this one.
    public var attempts: Int
    /// When it was queued: its event's time, or its replay's.
    public var queuedAt: Int64
    public var event: Event
    public var endpoint: WebhookEndpoint
    /// A partner's postback, rendered when the event happened; nil for a webhook.
    public var postback: PostbackRequest?

    public init(id: Int64, attempts: Int, queuedAt: Int64, event: Event, endpoint: WebhookEndpoint, postback: PostbackRequest? = nil) {
        self.id = id
        self.attempts = attempts
        self.queuedAt = queuedAt
        self.event = event
        self.endpoint = endpoint
        self.postback = postback
    }
}

/// One attempt, as the delivery log shows it.
public struct DeliveryAttempt: Sendable, Equatable {
    public var id: Int64
    public var deliveryID: Int64
    public var endpointID: Int64
    public var eventKey: String
    public var eventType: EventType
    /// 1 for the first attempt of a delivery.
    public var attempt: Int
    public var startedAt: Int64
    /// The receiver's status, nil when none came (refused, timed out, not connected).
    public var statusCode: Int?
    public var latencyMilliseconds: Int
    /// The first KiB of the response's body.
    public var response: String?
    public var error: String?

    public init(id: Int64 = 0, deliveryID: Int64, endpointID: Int64, eventKey: String, eventType: EventType, attempt: Int,
                startedAt: Int64, statusCode: Int?, latencyMilliseconds: Int, response: String?, error: String?) {
        self.id = id
        self.deliveryID = deliveryID
        self.endpointID = endpointID
        self.eventKey = eventKey
        self.eventType = eventType
        self.attempt = attempt
        self.startedAt = startedAt
        self.statusCode = statusCode
        self.latencyMilliseconds = latencyMilliseconds
        self.response = response
        self.error = error
    }

    /// A 2xx answer: the receiver has the event.
    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// What follows an attempt (`DeliveryRules.outcome`).
public enum AttemptOutcome: Sendable, Equatable {
    case delivered
    case retry(at: Int64)
    /// Failed for good: tried for as long as the schedule allows.
    case gaveUp
    /// The endpoint is disabled (410 Gone, or failing too long): this delivery
    /// and the endpoint's others stop.
    case disableEndpoint(reason: String)
}

/// An attempt and what follows it, as the sender records them.
public struct AttemptResult: Sendable, Equatable {
    public var attempt: DeliveryAttempt
    public var outcome: AttemptOutcome

    public init(_ attempt: DeliveryAttempt, _ outcome: AttemptOutcome) {
        self.attempt = attempt
        self.outcome = outcome
    }
}

extension EventStore {
    /// Takes deliveries for node 0 (a single node).
    public func claimDeliveries(now: Int64, leaseUntil: Int64, limit: Int, perEndpoint: Int, busy: [Int64: Int]) async throws -> [DueDelivery] {
        try await claimDeliveries(now: now, leaseUntil: leaseUntil, limit: limit, perEndpoint: perEndpoint, busy: busy, node: 0)
    }

    /// Logs one attempt and applies its outcome.
    public func recordAttempt(_ attempt: DeliveryAttempt, outcome: AttemptOutcome) async throws {
        try await recordAttempts([AttemptResult(attempt, outcome)])
    }
}

/// Which part of the events' history to send again.
public enum ReplaySelection: Sendable, Equatable {
    case event(key: String)
    /// Events created in `from..<to` (milliseconds), of the types the endpoint asks for.
    case range(from: Int64, to: Int64)
}

/// Events and their webhooks, as the store keeps them.
public protocol EventStore: Sendable {
    func createEndpoint(url: String, events: [EventType], secret: String, now: Int64) async throws -> WebhookEndpoint
    func endpoints() async throws -> [WebhookEndpoint]
    func endpoint(id: Int64) async throws -> WebhookEndpoint?
    /// Changes an endpoint; enabling it again clears why it was disabled and its failing streak.
    func updateEndpoint(id: Int64, _ change: EndpointChange) async throws -> WebhookEndpoint
    /// Deletes an endpoint, its deliveries and its log.
    func deleteEndpoint(id: Int64) async throws
    /// A new secret; the current one keeps signing until `previousUntil`.
    func rotateSecret(id: Int64, newSecret: String, previousUntil: Int64) async throws -> WebhookEndpoint
    /// Writes a `webhook.test` event and queues it for this endpoint alone.
    func queueTestEvent(endpointID: Int64, data: String, now: Int64) async throws -> Event
    /// Queues the selected events again for this endpoint; returns how many.
    func replay(endpointID: Int64, _ selection: ReplaySelection, now: Int64) async throws -> Int
    /// Takes up to `limit` deliveries due at `now` to active endpoints, at
    /// most `perEndpoint` less those `busy` to each, oldest first, and holds
    /// them until `leaseUntil`: another sender (another node) does not take
    /// them meanwhile, and one that died with them is retried then.
    func claimDeliveries(now: Int64, leaseUntil: Int64, limit: Int, perEndpoint: Int, busy: [Int64: Int], node: Int) async throws -> [DueDelivery]
    /// Makes due again what `node` held when it stopped: called as its sender
    /// starts, so a node that was killed mid-delivery sends again at once
    /// rather than when its leases end. Returns how many.
    func releaseDeliveries(node: Int, now: Int64) async throws -> Int
    /// Logs attempts and applies their outcomes, all in one transaction.
    func recordAttempts(_ results: [AttemptResult]) async throws
    /// The endpoint's delivery log, newest first, before `beforeID` (0: from the newest).
    func attempts(endpointID: Int64, beforeID: Int64, limit: Int) async throws -> [DeliveryAttempt]

    /// Sets a partner's postback: active again unless the brand disabled it.
    func setPostback(partnerID: UInt32, template: PostbackTemplate, method: PostbackMethod, now: Int64) async throws -> Postback
    func postback(partnerID: UInt32) async throws -> Postback?
    /// The brand's switch: disabled stays disabled whatever the partner sets.
    func setPostbackStatus(partnerID: UInt32, _ status: EndpointStatus) async throws -> Postback

    /// Deletes up to `limit` events created before `before` that no delivery
    /// waits for any more (each delivered or given up), with their
    /// deliveries and log; returns how many events went.
    func deleteEvents(before: Int64, limit: Int) async throws -> Int
}
