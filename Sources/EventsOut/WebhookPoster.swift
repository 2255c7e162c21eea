import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import NIOHTTP1
import Wire

/// One attempt of a delivery: its URL checked again by `TargetGuard` and its
/// host resolved once, then the request sent to that address: a webhook's
/// event signed by the Standard Webhooks specification (`WebhookSignature`),
/// or a partner's postback as rendered. No redirect is followed, `timeout`
/// ends the attempt whatever the receiver does, and at most `responseBytes`
/// of the answer are read.
public final class WebhookPoster: Sendable {
    let targets: TargetGuard
    let timeout: Duration
    let responseBytes: Int
    let clients: PinnedClients

    /// - Parameter connectionsPerHost: connections open at once to one host (all the endpoints on it).
    public init(targets: TargetGuard, timeout: Duration = .seconds(10), responseBytes: Int = 1024, connectionsPerHost: Int = 64) {
        self.targets = targets
        self.timeout = timeout
        self.responseBytes = responseBytes
        let seconds = max(1, timeout.components.seconds)
        clients = PinnedClients(connectTimeout: .seconds(min(5, seconds)), readTimeout: .seconds(seconds), connectionsPerHost: connectionsPerHost)
    }

    /// Sends the delivery once and says how it went; never throws.
    public func attempt(_ delivery: DueDelivery, at started: Int64) async -> DeliveryAttempt {
        let clock = ContinuousClock()
        let begun = clock.now
        var result = DeliveryAttempt(deliveryID: delivery.id, endpointID: delivery.endpoint.id, eventKey: delivery.event.key,
                                     eventType: delivery.event.type, attempt: delivery.attempts + 1, startedAt: started,
                                     statusCode: nil, latencyMilliseconds: 0, response: nil, error: nil)
        do {
            let request: HTTPClientRequest
            let target: TargetGuard.Target
            if let postback = delivery.postback {
                target = try await targets.check(postback.url)
                request = Self.postbackRequest(postback)
            } else {
                target = try await targets.check(delivery.endpoint.url)
                request = Self.webhookRequest(delivery, at: started)
            }
            let cap = responseBytes
            let deadline = NIODeadline.now() + .nanoseconds(timeout.components.seconds * 1_000_000_000
                                                            + timeout.components.attoseconds / 1_000_000_000)
            let (status, head) = try await clients.with(host: target.host, address: target.address) { client in
                let response = try await client.execute(request, deadline: deadline)
                var head = ByteBuffer()
                for try await chunk in response.body {
                    var chunk = chunk
                    head.writeBuffer(&chunk)
                    if head.readableBytes >= cap { break }
                }
                return (Int(response.status.code), head)
            }
            result.statusCode = status
            let text = String(decoding: head.readableBytesView.prefix(cap), as: UTF8.self)
            result.response = text.isEmpty ? nil : text
            if !(200..<300).contains(status) { result.error = "answered \(status)" }
        } catch let error as DomainError {
            result.error = "not sent: \(error.message)"
        } catch {
            result.error = Self.describe(error)
        }
        let elapsed = clock.now - begun
        result.latencyMilliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return result
    }

    /// The event, signed with each of the endpoint's secrets.
    static func webhookRequest(_ delivery: DueDelivery, at started: Int64) -> HTTPClientRequest {
        let body = Array(delivery.event.body(createdAtText: Timestamp.format(delivery.event.createdAt)).utf8)
        let timestamp = started / 1000
        var request = HTTPClientRequest(url: delivery.endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Clickline-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.event.key)
        request.headers.add(name: "webhook-timestamp", value: "\(timestamp)")
        request.headers.add(name: "webhook-signature",
                            value: WebhookSignature.header(id: delivery.event.key, timestamp: timestamp, body: body,
                                                           secrets: delivery.endpoint.signingSecrets(at: started)))
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    /// A partner's postback as it was rendered: trackers check no signature.
    static func postbackRequest(_ postback: PostbackRequest) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: postback.url)
        request.headers.add(name: "User-Agent", value: "Clickline-Postbacks/1")
        switch postback.method {
        case .get:
            request.method = .GET
        case .postForm:
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        case .postJSON:
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        if postback.method != .get { request.body = .bytes(ByteBuffer(string: postback.body ?? "")) }
        return request
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "no answer within the time limit"
            case .connectTimeout: return "could not connect within the time limit"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }

    /// Closes the connections kept for later deliveries.
    public func shutdown() async {
        await clients.shutdown()
    }
}
