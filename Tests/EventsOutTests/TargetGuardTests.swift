import ClickModel
import Domain
import EventsOut
import Testing

@Suite("Where events may be sent")
struct TargetGuardTests {
    /// A resolver that answers from a table, and counts its lookups.
    static func guarded(_ table: [String: [String]], allowPrivate: Bool = false, allowHTTP: Bool = false) -> TargetGuard {
        TargetGuard(allowPrivate: allowPrivate, allowHTTP: allowHTTP) { host in
            guard let addresses = table[host] else { throw LookupFailed() }
            return addresses.compactMap(IPAddress.parse)
        }
    }

    struct LookupFailed: Error {}

    @Test(arguments: [
        "https://127.0.0.1/hook", "https://[::1]/hook", "https://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data/",
        "https://192.168.1.20:8443/hook", "https://172.16.5.4/", "https://100.100.100.200/", "https://[fd00:ec2::254]/",
        "https://[fe80::1]/", "https://224.0.0.1/", "https://0.0.0.0/", "https://[::ffff:127.0.0.1]/", "https://[64:ff9b::a00:1]/",
        "https://localhost.example/hook", "https://rebind.example/hook",
    ])
    func privateTargetsAreRefused(_ url: String) async {
        let targets = Self.guarded(["localhost.example": ["127.0.0.1"], "rebind.example": ["93.184.215.14", "10.1.2.3"]])
        await #expect(throws: DomainError.self) { _ = try await targets.check(url) }
    }

    @Test func publicTargetsAreAllowedAndPinnedToTheAddressChecked() async throws {
        let targets = Self.guarded(["hooks.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]])
        let target = try await targets.check("https://hooks.example:8443/clickline?x=1")
        #expect(target.host == "hooks.example" && target.port == 8443 && target.scheme == "https")
        #expect(target.address == IPAddress.parse("93.184.215.14"))
    }

    @Test func privateTargetsWhenAllowed() async throws {
        let targets = Self.guarded(["localhost.example": ["127.0.0.1"]], allowPrivate: true, allowHTTP: true)
        #expect(try await targets.check("http://localhost.example:9000/hook").address == IPAddress.parse("127.0.0.1"))
    }

    @Test(arguments: [
        ("ftp://hooks.example/", "http(s)"), ("http://hooks.example/", "https"), ("https://user:pass@hooks.example/", "user name"),
        ("https://hooks.example/a\r\nX-Injected: 1", "control"), ("https://hooks.example/" + String(repeating: "a", count: 2100), "2048"),
        ("https:///nohost", "no host"), ("https://hooks.example:99999/", "port"), ("https://unknown.example/", "resolved"),
    ])
    func badURLsAreRefusedWithTheReason(_ url: String, _ reason: String) async {
        let targets = Self.guarded(["hooks.example": ["93.184.215.14"]])
        do {
            _ = try await targets.check(url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.field == "url")
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }
}
