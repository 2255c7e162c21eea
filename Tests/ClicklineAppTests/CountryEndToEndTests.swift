import ClickModel
import ClicklineApp
import Domain
import Foundation
import Ops
import Store
import StoreTesting
import Testing

extension EndToEnd {
    /// SPEC section 12, countries: with `--geoip-db` the edge looks each
    /// client up, country rules match, clicks keep their country, and a new
    /// file is taken while the edge runs; a file that cannot be used stops
    /// the start.
    @Suite("Countries from a .mmdb file")
    struct CountryEndToEndTests {
        static let writer = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/test-country-db").path

        static func writeDatabase(_ path: String, _ entries: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: writer)
            process.arguments = [path] + entries
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "scripts/test-country-db failed")
        }

        static let rules = #"""
            [{"name": "Canada", "if": [{"type": "country", "in": ["CA"]}], "destination_url": "https://shop.example.ca/"},
             {"name": "US", "if": [{"type": "country", "in": ["US"]}], "destination_url": "https://shop.example.com/us/"}]
            """#

        @Test func countryRulesMatchClicksKeepTheirCountryAndANewFileIsTaken() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-countries-\(UUID().uuidString).mmdb").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            // The tests' clients come from 127.0.0.1.
            try Self.writeDatabase(path, ["127.0.0.0/8=CA"])
            try await withServer(configure: { $0.geoipDatabase = path }, prepare: { _ in }) { server in
                #expect(server.app.countryDatabase?.hasPrefix("\(path): Clickline-Test-Country") == true)
                let admin = server.adminKey
                let (created, offer) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers", token: admin, body: [
                    "name": "Maple", "payout": ["type": "flat", "value": 100], "destination_url": "https://shop.example.com/",
                ])
                #expect(created == 201)
                let offerID = try #require(offer["id"] as? Int)
                let rules = try JSONSerialization.jsonObject(with: Data(Self.rules.utf8))
                let (status, link) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers/\(offerID)/links", token: admin,
                                                   body: ["code": "maple", "rules": rules])
                #expect(status == 201, "\(link)")
                let version = Int(try server.store.backend.catalogueVersion())
                _ = try await server.waitUntil(seconds: 5) { try server.live().workers.allSatisfy { $0.catalogueVersion >= version } }

                let first = try HTTP.get(port: server.edgePort, "/maple/nobody")
                #expect(first.header("Location")?.hasPrefix("https://shop.example.ca/") == true, "\(first.header("Location") ?? "")")
                let clickID = try #require(first.clickID)
                var stored: StoredClick?
                _ = try await server.waitUntil(seconds: 5) {
                    stored = try await server.store.click(id: clickID)
                    return stored != nil
                }
                #expect(stored?.country.description == "CA")
                #expect(stored?.rule == 1)

                // A new file, renamed into place: taken within a second and a tick, without a restart.
                try Self.writeDatabase(path, ["127.0.0.0/8=US"])
                let moved = try await server.waitUntil(seconds: 5) {
                    try HTTP.get(port: server.edgePort, "/maple/nobody").header("Location")?.hasPrefix("https://shop.example.com/us/") == true
                }
                #expect(moved != nil, "the new country database was not taken")
                // A broken file: the edge keeps the last good one.
                try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
                try await Task.sleep(for: .milliseconds(1_500))
                #expect(try HTTP.get(port: server.edgePort, "/maple/nobody").header("Location")?.hasPrefix("https://shop.example.com/us/") == true)
            }
        }

        static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
        static let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

        /// `GET /v1/reports/clicks?by=country|device`: clicks from the
        /// rollups, conversions by their click's country and device classes.
        @Test func theReportCountsClicksAndConversionsByCountryAndDevice() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-countries-\(UUID().uuidString).mmdb").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Self.writeDatabase(path, ["127.0.0.0/8=CA"])
            try await withServer(configure: { $0.geoipDatabase = path }) { server in
                let offer = try #require(try await server.store.offer(id: 1))
                let token = try #require(offer.postbackToken)
                var clicks: [ClickID] = []
                for agent in [Self.iPhone, Self.iPhone, Self.windows] {
                    let redirect = try HTTP.get(port: server.edgePort, "/haircare/abc123", headers: ["User-Agent": agent])
                    clicks.append(try #require(redirect.clickID))
                }
                let stored = try await server.waitUntil(seconds: 5) { try await server.store.click(id: clicks[2]) != nil }
                #expect(stored != nil)
                let first = try await server.store.click(id: clicks[0])
                #expect(first?.devices == DeviceClass.ios.bit | DeviceClass.mobile.bit)
                #expect(first?.country.description == "CA")
                let (status, _) = try HTTP.json(port: server.adminPort, "GET",
                                                "/v1/postback?token=\(token)&clk=\(clicks[0])&order_id=BY-COUNTRY-1&amount=10.00", token: nil)
                #expect(status == 201)

                func report(_ by: String) throws -> [String: [String: Any]] {
                    let (status, json) = try HTTP.json(port: server.adminPort, "GET", "/v1/reports/clicks?by=\(by)&range=last_30_days",
                                                       token: server.adminKey)
                    #expect(status == 200, "\(json)")
                    let items = json["items"] as? [[String: Any]] ?? []
                    return Dictionary(uniqueKeysWithValues: items.map { (($0[by] as? String) ?? "unknown", $0) })
                }
                let countries = try report("country")
                #expect(countries["CA"] != nil, "\(countries)")
                #expect(countries["CA"]?["clicks"] as? Int == 3)
                #expect(countries["CA"]?["billable"] as? Int == 3)
                #expect(countries["CA"]?["conversions"] as? Int == 1)
                let devices = try report("device")
                #expect(devices["ios"]?["clicks"] as? Int == 2 && devices["mobile"]?["clicks"] as? Int == 2)
                #expect(devices["windows"]?["clicks"] as? Int == 1 && devices["desktop"]?["clicks"] as? Int == 1)
                #expect(devices["ios"]?["conversions"] as? Int == 1 && devices["windows"]?["conversions"] as? Int == 0)

                let (missing, error) = try HTTP.json(port: server.adminPort, "GET", "/v1/reports/clicks", token: server.adminKey)
                #expect(missing == 422 && (error["error"] as? [String: Any])?["field"] as? String == "by")
                let (wrong, _) = try HTTP.json(port: server.adminPort, "GET", "/v1/reports/clicks?by=planet", token: server.adminKey)
                #expect(wrong == 422)
            }
        }

        @Test func aDatabaseThatCannotBeUsedStopsTheStart() async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-countries-\(UUID().uuidString).mmdb").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Data("not a database".utf8).write(to: URL(fileURLWithPath: path))
            let location = try TestStoreLocation.fresh()
            defer { location.remove() }
            await #expect { _ = try await TestServer(location: location, configure: { $0.geoipDatabase = path }) } throws: { error in
                "\(error)".contains("the country database \(path) is not a MaxMind DB file")
            }
        }
    }
}
