import ClicklineApp
import Foundation
import Testing

extension EndToEnd {
    @Suite("OpenAPI document")
    struct OpenAPITests {
        /// The document served is OpenAPI 3, documents every route of the
        /// admin port's API and nothing that is not routed. The pages (HTML
        /// for people) are not part of it.
        @Test func theDocumentMatchesTheRouter() async throws {
            try await withServer { server in
                let response = try HTTP.get(port: server.adminPort, "/openapi.json")
                #expect(response.status == 200)
                let document = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
                #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                var documented = Set<String>()
                for (path, operations) in paths {
                    for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
                }
                let api = ["/v1/", "/healthz", "/readyz", "/metrics", "/openapi.json"]
                let routed = Set(server.app.routes.filter { route in api.contains { route.split(separator: " ").last?.hasPrefix($0) == true } })
                #expect(routed.contains("GET /v1/dashboard/{token}"))
                #expect(!paths.keys.contains("/dashboard") && !paths.keys.contains("/p/{token}"), "pages are not part of the API's document")
                #expect(routed.subtracting(documented).sorted() == [], "routed but not documented")
                #expect(documented.subtracting(routed).sorted() == [], "documented but not routed")

                // Every reference resolves to a schema.
                let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
                let text = response.text
                var references = Set<String>()
                var rest = Substring(text)
                while let range = rest.range(of: "#/components/schemas/") {
                    let name = rest[range.upperBound...].prefix { $0 != "\"" }
                    references.insert(String(name))
                    rest = rest[range.upperBound...]
                }
                #expect(!references.isEmpty)
                for name in references { #expect(schemas[name] != nil, "no schema \(name)") }
            }
        }
    }
}
