import ClicklineApp
import Foundation
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
