import ClicklineApp
import Foundation
import Mail
import Testing

@Suite("Settings")
struct SettingsTests {
    @Test func defaultsAreTheDocumentedOnes() throws {
        let settings = try Settings.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(settings.edgePort == 8080)
        #expect(settings.adminPort == 8081)
        #expect(settings.bind == "0.0.0.0")
        #expect(settings.store == "sqlite:./data/clickline.sqlite")
        #expect(settings.workers == ProcessInfo.processInfo.activeProcessorCount)
        #expect(settings.nodeID == 0)
        #expect(settings.flushMilliseconds == 250)
        #expect(settings.effectivePublicURL == "http://localhost:8080")
        #expect(settings.smtpURL == nil)
        #expect(settings.smtpFrom == "partners@localhost")
    }

    @Test func flagsBeatEnvironmentBeatsFileBeatsDefaults() throws {
        let file = """
            # a comment
            CLICKLINE_EDGE_PORT=1001
            CLICKLINE_ADMIN_PORT = 1002
            CLICKLINE_NODE_ID="7"
            CLICKLINE_WORKERS=3
            """
        let settings = try Settings.resolve(
            flags: ["edge-port": "3001"],
            environment: ["CLICKLINE_EDGE_PORT": "2001", "CLICKLINE_ADMIN_PORT": "2002", "PATH": "/bin"],
            configFile: file)
        #expect(settings.edgePort == 3001)
        #expect(settings.adminPort == 2002)
        #expect(settings.nodeID == 7)
        #expect(settings.workers == 3)
        #expect(settings.flushMilliseconds == 250)
    }

    @Test(arguments: [
        (["edge-port": "80x"], "--edge-port"),
        (["edge-port": "70000"], "--edge-port"),
        (["node-id": "4096"], "--node-id"),
        (["ring-capacity": "1000"], "--ring-capacity"),
        (["store": "mysql://x"], "--store"),
        (["public-url": "ftp://x"], "--public-url"),
        (["log-level": "loud"], "--log-level"),
    ])
    func badValuesNameTheirSource(flags: [String: String], source: String) {
        #expect {
            _ = try Settings.resolve(flags: flags, environment: [:], configFile: nil)
        } throws: { ($0 as? SettingsError)?.setting == source }
    }

    @Test func badEnvironmentValueNamesTheVariable() {
        #expect {
            _ = try Settings.resolve(flags: [:], environment: ["CLICKLINE_WORKERS": "0"], configFile: nil)
        } throws: { ($0 as? SettingsError)?.setting == "CLICKLINE_WORKERS" }
    }

    @Test func unknownNamesInTheFileAreRefused() {
        #expect {
            _ = try Settings.resolve(flags: [:], environment: [:], configFile: "CLICKLINE_EDGE_PROT=1")
        } throws: { ($0 as? SettingsError)?.message.contains("CLICKLINE_EDGE_PROT is not a setting") == true }
    }

    @Test func theSampleConfigurationListsEverySettingAndParses() throws {
        let sample = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/clickline.conf")
        let text = try String(contentsOf: sample, encoding: .utf8)
        #expect(text == Settings.configurationFile(), "deploy/clickline.conf is `clickline settings --format file`")
        for spec in Settings.catalogue { #expect(text.contains("#\(spec.environment)=")) }
        // Uncommented, every line the sample shows with a value is accepted as it is.
        let uncommented = text.split(separator: "\n").filter { $0.hasPrefix("#CLICKLINE_") }
            .map { String($0.dropFirst()).components(separatedBy: "   #")[0] }
            .filter { !$0.hasSuffix("=") }
            .joined(separator: "\n")
        _ = try Settings.resolve(flags: [:], environment: [:], configFile: uncommented)
    }
}

@Suite("README")
struct ReadmeTests {
    @Test func theSettingsTableIsTheCatalogue() throws {
        let readme = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        #expect(text.contains(Settings.markdownTable()), "README's settings table is `clickline settings`")
    }
}

@Suite("Mail server settings")
struct MailServerSettingsTests {
    /// Credentials from a file make smtp:// require STARTTLS, and are in no
    /// description of the server or of the settings.
    @Test func credentialsFromAFileAreUsedAndNeverShown() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("clickline-smtp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try "mailer@example.com:s3cret:with-colon\n".write(to: file, atomically: true, encoding: .utf8)
        let settings = try Settings.resolve(flags: ["smtp-url": "smtp://smtp.example.com:587", "smtp-credentials-file": file.path],
                                            environment: [:], configFile: nil)
        let server = try #require(try ClicklineApplication.mailServer(settings))
        #expect(server.security == .startTLS && server.credentials?.username == "mailer@example.com")
        #expect(server.credentials?.password == "s3cret:with-colon")
        #expect(!"\(server)".contains("s3cret") && !"\(settings)".contains("s3cret"))
        #expect(!Settings.markdownTable().contains("s3cret") && !Settings.configurationFile().contains("s3cret"))

        try "no colon here".write(to: file, atomically: true, encoding: .utf8)
        #expect { _ = try ClicklineApplication.mailServer(settings) } throws: { ($0 as? SettingsError)?.setting == "smtp-credentials-file" }
        #expect { _ = try Settings.resolve(flags: ["smtp-credentials-file": "/nonexistent/file"], environment: [:], configFile: nil) }
            throws: { "\($0)".contains("smtp-credentials-file: cannot read /nonexistent/file") }
    }
}
