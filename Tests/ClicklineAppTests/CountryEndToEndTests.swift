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
