import ClickModel
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Mustache
import Store

/// Renders the Mustache templates of `Templates/` (resources of this
/// target, loaded once at start) into pages, with what every page shows:
/// the navigation for whoever is signed in and the form token.
struct Renderer: Sendable {
    let library: MustacheLibrary
    /// Static files of `Assets/`, by name: served at `/assets/{name}`.
    let assets: [String: (type: String, bytes: [UInt8])]

    static func load() async throws -> Renderer {
        let resources = try resourceFolder()
        let templates = resources.appendingPathComponent("Templates"), assetsURL = resources.appendingPathComponent("Assets")
        let library = try await MustacheLibrary(directory: templates.path)
        var assets: [String: (type: String, bytes: [UInt8])] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: assetsURL.path) {
            let type = switch (name as NSString).pathExtension {
            case "css": "text/css; charset=utf-8"
            case "js": "text/javascript; charset=utf-8"
            case "svg": "image/svg+xml"
            default: "application/octet-stream"
            }
            assets[name] = (type, Array(try Data(contentsOf: assetsURL.appendingPathComponent(name))))
        }
        return Renderer(library: library, assets: assets)
    }

    static let resourceFolderName = "clickline_Pages.resources"

    /// The target's resources, next to the program as the build leaves them
    /// (and as deploy/ installs them). Looked up here rather than through
    /// `Bundle.module`, which ends the process when they are missing: a
    /// binary copied without them fails to start with a message instead.
    static func resourceFolder() throws -> URL {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(resourceFolderName))
        }
        let besideBundle = Bundle.main.bundleURL.appendingPathComponent(resourceFolderName)
        if !candidates.contains(besideBundle) { candidates.append(besideBundle) }
        for folder in candidates where FileManager.default.fileExists(atPath: folder.appendingPathComponent("Templates").path) {
            return folder
        }
        throw PageSetupError("the pages' templates and assets (\(resourceFolderName)) are not next to the program "
                             + "(looked in \(candidates.map(\.path).joined(separator: ", "))); copy that folder from the build folder next to the binary")
    }

    /// The page `template` with `values`, and what every page shows.
    func page(_ template: String, _ values: [String: Any], context: PageContext, status: HTTPResponse.Status = .ok,
              headers extra: HTTPFields = [:]) -> Response {
        // An empty text is "nothing to say": in Mustache it would still open its section ({{#problem}}).
        var values = values.filter { !(($0.value as? String)?.isEmpty ?? false) }
        if let member = context.teamMember {
            values["me"] = ["email": member.email, "role": member.role.rawValue]
            values["can_manage"] = member.role.may(.manageTeam) || member.role.may(.manage)
            values["can_watch"] = member.role.may(.watchLive)
            values["is_owner"] = member.role.may(.manageTeam)
            values["console"] = true
        }
        if let partner = context.partner {
            values["partner_me"] = ["name": partner.name, "code": partner.code.value]
        }
        if let session = context.sessions.session { values["csrf"] = session.csrf }
        if let section = values["section"] as? String { values["here_" + section] = true }
        return html(library.render(values, withTemplate: template) ?? "template \(template) is missing", status: status, headers: extra)
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = Self.pageHeaders
        for field in extra { headers.append(field) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let pageHeaders: HTTPFields = {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            // Scripts and styles come from /assets only; the charts are inline SVG drawn by the server.
            .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'",
        ]
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return headers
    }()

    /// 303 to `location`: every form answers so, and the browser GETs the result.
    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for field in extra { headers.append(field) }
        return Response(status: .seeOther, headers: headers)
    }
}

struct PageSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
