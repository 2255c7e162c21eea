import ClickModel
import Domain
import Testing

@Suite("Webhook retries, under a clock the test controls")
struct RetryScheduleTests {
    let schedule = RetrySchedule.standard
    static let hour: Int64 = 3_600_000

    func failed(_ number: Int, at now: Int64, status: Int? = 500) -> DeliveryAttempt {
        DeliveryAttempt(deliveryID: 1, endpointID: 1, eventKey: "evt_1", eventType: .conversionCreated, attempt: number, startedAt: now,
                        statusCode: status, latencyMilliseconds: 3, response: nil, error: "answered 500")
    }

    /// A receiver that always fails: attempts at once, then after 5 s, 30 s,
    /// 2 min... up to 12 h apart, and given up after about three days.
    @Test func anEndpointThatAlwaysFailsIsTriedForAboutThreeDays() {
        var now: Int64 = 0
        var times: [Int64] = [0]
        var attempt = 1
        // Its failing run began with this delivery, so the endpoint is disabled when it is given up.
        while case .retry(let at) = schedule.outcome(of: failed(attempt, at: now), now: now, queuedAt: 0, failingSince: 0, random: 0.5) {
            #expect(at > now)
            now = at
            times.append(now)
            attempt += 1
        }
        #expect(Array(times.prefix(5)) == [0, 5_000, 35_000, 155_000, 755_000], "random 0.5 is no jitter")
        #expect(times.count == 15)
        #expect(times.last! >= 72 * Self.hour && times.last! < 76 * Self.hour, "\(Double(times.last!) / Double(Self.hour)) h")
        #expect(schedule.outcome(of: failed(attempt, at: now), now: now, queuedAt: 0, failingSince: 0, random: 0.5)
                == .disableEndpoint(reason: "every delivery failed for 72 hours"))
        // The same delivery to an endpoint that succeeded lately is only given up.
        #expect(schedule.outcome(of: failed(attempt, at: now), now: now, queuedAt: 0, failingSince: now - Self.hour, random: 0.5) == .gaveUp)
    }

    @Test func jitterMovesAPauseByAtMostATenthEitherWay() {
        let low = schedule.outcome(of: failed(4, at: 0), now: 0, queuedAt: 0, failingSince: 0, random: 0)
        let high = schedule.outcome(of: failed(4, at: 0), now: 0, queuedAt: 0, failingSince: 0, random: 0.999_999)
        #expect(low == .retry(at: 540_000))
        #expect(high == .retry(at: 660_000))
    }

    @Test func aSuccessIsDeliveredAndGoneDisablesAtOnce() {
        #expect(schedule.outcome(of: failed(1, at: 0, status: 204), now: 0, queuedAt: 0, failingSince: 0, random: 0) == .delivered)
        #expect(schedule.outcome(of: failed(1, at: 0, status: 410), now: 0, queuedAt: 0, failingSince: 0, random: 0)
                == .disableEndpoint(reason: "the endpoint answered 410 Gone"))
        #expect(schedule.outcome(of: failed(1, at: 0, status: nil), now: 0, queuedAt: 0, failingSince: 0, random: 0.5) == .retry(at: 5_000))
        #expect(schedule.outcome(of: failed(1, at: 0, status: 301), now: 0, queuedAt: 0, failingSince: 0, random: 0.5) == .retry(at: 5_000),
                "redirects are not followed, and not a success")
    }

    @Test func eventKeysAreUniqueAndShaped() {
        var random = SystemRandomNumberGenerator()
        let keys = (0..<1000).map { _ in Event.newKey(using: &random) }
        #expect(Set(keys).count == 1000)
        #expect(keys.allSatisfy { $0.hasPrefix("evt_") && $0.count == 30 && $0.dropFirst(4).allSatisfy { $0.isLowercase || $0.isNumber } })
    }

    @Test func eventBodiesCarryDataAsItIs() {
        let event = Event(id: 1, key: "evt_abc", type: .conversionCreated, createdAt: 0, data: #"{"id":7}"#)
        #expect(event.body(createdAtText: "1970-01-01T00:00:00Z")
                == #"{"id":"evt_abc","type":"conversion.created","created_at":"1970-01-01T00:00:00Z","data":{"id":7}}"#)
    }

    @Test(arguments: ["127.0.0.1", "10.9.8.7", "169.254.169.254", "::1", "fd00::1", "fe80::1", "ff02::1", "::ffff:192.168.0.1",
                      "2002:7f00:1::", "64:ff9b::7f00:1", "100.64.0.1", "0.0.0.0"])
    func addressesInsideAreRefused(_ text: String) throws {
        #expect(AddressRules.refusal(of: try #require(IPAddress.parse(text))) != nil)
    }

    @Test(arguments: ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2002:5db8:d70e::", "64:ff9b::808:808"])
    func publicAddressesAreAllowed(_ text: String) throws {
        #expect(AddressRules.refusal(of: try #require(IPAddress.parse(text))) == nil)
    }
}
