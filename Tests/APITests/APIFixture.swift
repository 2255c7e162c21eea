import API
import Domain
import Foundation
import Hummingbird
import HummingbirdTesting
import Services
import Store
import StoreTesting
import Testing

/// The catalogue and partner APIs over a fresh store of the kind under test
/// (SQLite, or PostgreSQL in the test command's second pass), driven through
/// HummingbirdTesting, with an admin key, an ops key and helpers that speak JSON.
struct APIFixture {
    let location: TestStoreLocation
    let store: SQLStore
    let adminKey: String
    let opsKey: String
    static let trackingBase = "https://go.example.com"
    static let dashboardBase = "https://partners.example.com"

    init() async throws {
        location = try TestStoreLocation.fresh()
        do {
            store = try await location.open()
            adminKey = Secrets.make(.adminKey)
            opsKey = Secrets.make(.opsKey)
            try await store.insertKey(role: .admin, hash: Secrets.hash(adminKey))
            try await store.insertKey(role: .ops, hash: Secrets.hash(opsKey))
        } catch {
            location.remove()
            throw error
        }
    }

    /// Runs `body` with a client of the router, and removes the store after.
    static func run(_ body: @escaping @Sendable (APIClient) async throws -> Void) async throws {
        let fixture = try await APIFixture()
        defer { fixture.location.remove() }
        let urls = PublicURLs(tracking: { trackingBase }, dashboard: { dashboardBase })
        // What these tests check is what a request does, not when the answer
        // comes: deadlines long enough for the test suite's load on two cores
        // (a 2 s postback deadline ran out there). The deadlines themselves are
        // checked by scripts/fault-store-lock against the real binary.
        let deadlines = RequestDeadlines(conversions: .seconds(60), other: .seconds(60))
        let app = Application(router: AdminAPI.catalogueRouter(store: fixture.store, urls: urls, deadlines: deadlines))
        do {
            try await app.test(.router) { client in
                try await body(APIClient(client: client, fixture: fixture))
            }
        } catch {
            await fixture.store.backend.close()
            throw error
        }
        await fixture.store.backend.close()
    }
}

/// A JSON answer: its status and body, with paths into the body.
struct JSONResponse {
    let status: Int
    let headers: HTTPFields
    let body: Any?
    let text: String

    subscript(_ path: String) -> Any? {
        var value: Any? = body
        for part in path.split(separator: ".") {
            if let index = Int(part), let array = value as? [Any] {
                value = index < array.count ? array[index] : nil
            } else {
                value = (value as? [String: Any])?[String(part)]
            }
        }
        if value is NSNull { return nil }
        return value
    }

    func string(_ path: String) -> String? { self[path] as? String }
    func int(_ path: String) -> Int? { (self[path] as? NSNumber)?.intValue }
    func double(_ path: String) -> Double? { (self[path] as? NSNumber)?.doubleValue }
    func array(_ path: String) -> [Any] { self[path] as? [Any] ?? [] }
    var errorField: String? { string("error.field") }
    var errorCode: String? { string("error.code") }
}

struct APIClient {
    let client: any TestClientProtocol
    let fixture: APIFixture

    var store: SQLStore { fixture.store }

    enum Auth {
        case admin, ops, none
        case bearer(String)
    }

    func request(_ method: HTTPRequest.Method, _ path: String, auth: Auth = .admin, json: Any? = nil, raw: String? = nil,
                 headers extra: HTTPFields = [:]) async throws -> JSONResponse {
        var headers: HTTPFields = extra
        switch auth {
        case .admin: headers[.authorization] = "Bearer \(fixture.adminKey)"
        case .ops: headers[.authorization] = "Bearer \(fixture.opsKey)"
        case .bearer(let token): headers[.authorization] = "Bearer \(token)"
        case .none: break
        }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        } else if let raw {
            body = ByteBuffer(string: raw)
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
        let text = String(buffer: response.body)
        let parsed = text.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        return JSONResponse(status: Int(response.status.code), headers: response.headers, body: parsed, text: text)
    }

    /// Header fields by name (names outside HTTPField.Name's constants).
    static func headers(_ fields: [String: String]) -> HTTPFields {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(.init(name: .init(name)!, value: value)) }
        return headers
    }

    func get(_ path: String, auth: Auth = .admin) async throws -> JSONResponse { try await request(.get, path, auth: auth) }
    func post(_ path: String, _ json: Any, auth: Auth = .admin) async throws -> JSONResponse { try await request(.post, path, auth: auth, json: json) }
    func patch(_ path: String, _ json: Any, auth: Auth = .admin) async throws -> JSONResponse { try await request(.patch, path, auth: auth, json: json) }
    func delete(_ path: String, auth: Auth = .admin) async throws -> JSONResponse { try await request(.delete, path, auth: auth) }

    /// Creates something and returns its answer, failing the test unless it is 201.
    func create(_ path: String, _ json: Any, auth: Auth = .admin, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONResponse {
        let response = try await post(path, json, auth: auth)
        #expect(response.status == 201, "POST \(path): \(response.text)", sourceLocation: sourceLocation)
        return response
    }

    // MARK: fixtures

    func linkOffer(name: String = "Haircare", payout: [String: Any] = ["type": "percent", "value": 10]) async throws -> Int {
        try #require(try await create("/v1/offers", [
            "name": name, "type": "link", "payout": payout, "destination_url": "https://shop.example.com/haircare",
            "fallback_url": "https://shop.example.com/",
        ]).int("id"))
    }

    func promoOffer(naming: [String: Any] = ["strategy": "name_discount"], discount: Int = 20) async throws -> Int {
        try #require(try await create("/v1/offers", [
            "name": "Spring codes", "type": "promo_code", "payout": ["type": "flat", "value": 300],
            "promo": ["naming": naming, "discount": ["type": "percent", "value": discount], "usage_limit_per_code": 50],
        ]).int("id"))
    }

    /// A partner's id and its token.
    func partner(_ name: String, code: String, parent: Int? = nil) async throws -> (id: Int, token: String) {
        var body: [String: Any] = ["name": name, "code": code, "email": "\(code)@example.com"]
        if let parent { body["parent_id"] = parent }
        let response = try await create("/v1/partners", body)
        return (try #require(response.int("id")), try #require(response.string("token")))
    }
}
