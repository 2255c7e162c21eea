import ClickModel
import Testing

@Suite("Tracking URL paths")
struct TrackingTargetTests {
    @Test func linkAndPartner() throws {
        let target = "/haircare/abc123"
        guard case .tracking(let path) = withBytes(target, TrackingTarget.parse) else {
            Issue.record("not a tracking URL")
            return
        }
        #expect(path.link.string(in: target) == "haircare")
        #expect(path.partner.string(in: target) == "abc123")
        #expect(path.child == nil)
        #expect(path.ad == nil)
        #expect(path.query == nil)
    }

    @Test func childAdAndQuery() throws {
        let target = "/Hair_care-2/ABC123.kid-7/website2?sub1=x&y=%20"
        guard case .tracking(let path) = withBytes(target, TrackingTarget.parse) else {
            Issue.record("not a tracking URL")
            return
        }
        #expect(path.link.string(in: target) == "Hair_care-2")
        #expect(path.partner.string(in: target) == "ABC123")
        #expect(path.child?.string(in: target) == "kid-7")
        #expect(path.ad?.string(in: target) == "website2")
        #expect(path.query?.string(in: target) == "sub1=x&y=%20")
    }

    @Test func emptyQueryIsKept() {
        guard case .tracking(let path) = withBytes("/a/b?", TrackingTarget.parse) else {
            Issue.record("not a tracking URL")
            return
        }
        #expect(path.query?.count == 0)
    }

    @Test func healthAndNotFound() {
        #expect(withBytes("/healthz", TrackingTarget.parse) == .health)
        #expect(withBytes("/healthz?probe=1", TrackingTarget.parse) == .health)
        #expect(withBytes("/", TrackingTarget.parse) == .notFound)
        #expect(withBytes("/haircare", TrackingTarget.parse) == .notFound)
    }

    @Test func thirtyTwoCharacterCodesAreAccepted() {
        let code = String(repeating: "a", count: 32)
        guard case .tracking = withBytes("/\(code)/\(code).\(code)/\(code)", TrackingTarget.parse) else {
            Issue.record("32-character codes refused")
            return
        }
    }

    @Test(arguments: [
        ("http://evil.example/a/b", MalformedPath.notOriginForm),
        ("*", .notOriginForm),
        ("/a/b/c/d", .tooManySegments),
        ("/a//b", .emptySegment),
        ("/a/b/", .emptySegment),
        ("/a/.b", .emptySegment),
        ("/a/b.", .emptySegment),
        ("/a/./b", .dotSegment),
        ("/../a/b", .dotSegment),
        ("/a/b/..", .dotSegment),
        ("/a/%62", .percentEncoded),
        ("/a%2Fb/c", .percentEncoded),
        ("/a/b c", .badCharacter),
        ("/a/b;c", .badCharacter),
        ("/a.x/b", .badCharacter),
        ("/a/b.c.d", .badCharacter),
        ("/a/b/c.d", .badCharacter),
        ("/a/b#frag", .fragment),
        ("/a/b?x=#y", .fragment),
        ("/\(String(repeating: "x", count: 33))/b", .codeTooLong),
        ("/a/\(String(repeating: "x", count: 33))", .codeTooLong),
        ("/a/b.\(String(repeating: "x", count: 33))", .codeTooLong),
        ("/a/b/\(String(repeating: "x", count: 33))", .codeTooLong),
    ])
    func malformed(target: String, reason: MalformedPath) {
        #expect(withBytes(target, TrackingTarget.parse) == .malformed(reason), "\(target)")
    }
}
