import ClicklineApp
import Domain
import Foundation
import Services
import Store
import StoreTesting
import Testing

/// The `clickline` binary's commands, run as a user would run them.
@Suite("Command line")
struct CommandLineTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("clickline")

    /// Runs the binary to its end; its exit status and standard output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `serve` with `setting` naming a file of `text`: its exit status, what it said on standard error, and the file's path.
    static func serve(with setting: String, file text: String) throws -> (status: Int32, errors: String, path: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-\(setting)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try text.write(to: file, atomically: true, encoding: .utf8)
        let location = try TestStoreLocation.fresh()
        defer { location.remove() }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--store", location.setting, "--edge-port", "0", "--admin-port", "0", "--\(setting)", file.path]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message, file.path)
    }

    /// A coupon-site file with a bad line stops the start, naming the file and the line.
    @Test func aBadCouponSitesFileStopsTheStartAndNamesTheLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "no clickline binary next to the tests")
        let start = try Self.serve(with: "coupon-sites", file: "# our list\ncoupons.example\nhttps://deals.example/\n")
        #expect(start.status != 0)
        #expect(start.errors.contains("coupon-sites: \(start.path), line 3: \"https://deals.example/\" is not a domain"), "\(start.errors)")
    }

    /// A hosting-network file with a bad CIDR line stops the start, naming the file and the line.
    @Test func aBadDatacenterRangesFileStopsTheStartAndNamesTheLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "no clickline binary next to the tests")
        let start = try Self.serve(with: "datacenter-ranges", file: "203.0.113.0/24\n# IPv6\n2001:db8::/129\n")
        #expect(start.status != 0)
        #expect(start.errors.contains("datacenter-ranges: \(start.path), line 3: \"2001:db8::/129\" is not a CIDR"), "\(start.errors)")
    }

    @Test func keysCreatePrintsAWorkingKeyAloneOnItsLastLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "no clickline binary next to the tests")
        let location = try TestStoreLocation.fresh()
        defer { location.remove() }
        let store = location.setting

        #expect(try Self.run(["migrate", "--store", store]).status == 0)
        let created = try Self.run(["keys", "create", "--role", "admin", "--store", store])
        #expect(created.status == 0)
        let key = try #require(created.output.split(separator: "\n").last.map(String.init))
        #expect(key.hasPrefix("cla_") && key.count == 56)
        let ops = try Self.run(["keys", "create", "--role", "ops", "--store", store])
        let opsKey = try #require(ops.output.split(separator: "\n").last.map(String.init))
        #expect(opsKey.hasPrefix("clo_"))
        #expect(try Self.run(["keys", "create", "--role", "root", "--store", store]).status != 0)

        let demo = try Self.run(["demo-data", "--store", store])
        #expect(demo.status == 0)
        #expect(demo.output.contains("partner token (abc123): clp_"))

        var settings = Settings()
        settings.store = store
        let opened = try await ClicklineApplication.openStore(settings)
        #expect(try await opened.role(forKeyHash: Secrets.hash(key)) == .admin)
        #expect(try await opened.role(forKeyHash: Secrets.hash(opsKey)) == .ops)
        #expect(try await opened.link(code: DemoData.parentCode) == nil)
        #expect(try await opened.partner(code: DemoData.parentCode) != nil)
        await opened.backend.close()
    }

    /// SPEC section 15: the first owner, with a one-time sign-in URL on the last line.
    @Test func usersCreatePrintsAOneTimeSignInURLOnItsLastLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "no clickline binary next to the tests")
        let location = try TestStoreLocation.fresh()
        defer { location.remove() }
        let store = location.setting

        let created = try Self.run(["users", "create", "--email", "Boss@Example.com", "--role", "owner", "--store", store, "--admin-port", "9081"])
        #expect(created.status == 0)
        let url = try #require(created.output.split(separator: "\n").last.map(String.init))
        #expect(url.hasPrefix("http://localhost:9081/signin/cll_"), "\(created.output)")
        // Again for the same person: a new link, the same teammate.
        let again = try Self.run(["users", "create", "--email", "boss@example.com", "--role", "owner", "--store", store,
                                  "--dashboard-url", "https://brand.example/"])
        let second = try #require(again.output.split(separator: "\n").last.map(String.init))
        #expect(second.hasPrefix("https://brand.example/signin/cll_") && second != url)
        #expect(try Self.run(["users", "create", "--email", "x@example.com", "--role", "root", "--store", store]).status != 0)
        #expect(try Self.run(["users", "create", "--email", "not an address", "--role", "viewer", "--store", store]).status != 0)

        var settings = Settings()
        settings.store = store
        let opened = try await ClicklineApplication.openStore(settings)
        #expect(try await opened.teamMembers().map(\.email) == ["boss@example.com"])
        #expect(try await opened.teamMember(email: "boss@example.com")?.role == .owner)
        await opened.backend.close()
    }

    @Test func serveTakesEverySettingAsAFlag() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "no clickline binary next to the tests")
        let help = try Self.run(["serve", "--help"]).output
        for spec in Settings.catalogue {
            #expect(help.contains("--\(spec.name)"), "serve has no --\(spec.name)")
        }
    }
}
