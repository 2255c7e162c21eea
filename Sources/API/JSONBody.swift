import Domain
import Foundation
import Hummingbird
import NIOCore

/// Reading request bodies and writing answers, with errors a client can act on.
enum JSONBody {
    /// Decodes the body as `T`: 413 over the size limit, 400 for anything that
    /// is not JSON of the right shape, naming the field that is wrong.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: ClicklineRequestContext) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the body is over \(context.maxUploadSize) bytes")
        }
        guard buffer.readableBytes > 0 else { throw APIError(.badRequest, code: "invalid_json", message: "the body is empty; send a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        } catch let error as APIError {
            throw error
        }
    }

    /// A JSON answer.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

extension APIError {
    /// 400 for JSON that cannot be read as what the endpoint takes.
    init(decoding error: DecodingError) {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String? {
            let keys = (codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            guard !keys.isEmpty else { return nil }
            return keys.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            self.init(.badRequest, code: "invalid_type",
                      message: "\(field ?? "the body") must be \(Self.describe(type))", field: field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            self.init(.badRequest, code: "invalid_type", message: "\(field ?? "the body") must be \(Self.describe(type)), not null",
                      field: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath, key)
            self.init(.unprocessableContent, code: "missing_field", message: "\(field ?? key.stringValue) is required", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field == nil {
                self.init(.badRequest, code: "invalid_json", message: "the body is not valid JSON")
            } else {
                self.init(.badRequest, code: "invalid_value", message: "\(field!): \(context.debugDescription)", field: field)
            }
        @unknown default:
            self.init(.badRequest, code: "invalid_json", message: "the body cannot be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is UInt32.Type: return "an integer"
        case is Double.Type: return "a number"
        case is [Any].Type: return "an array"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("KeyedDecodingContainer") { return "an object" }
            return "of the documented type"
        }
    }

    /// 422: the JSON was read, but a value is not acceptable.
    package static func invalid(_ field: String, _ message: String) -> APIError {
        APIError(.unprocessableContent, code: "invalid_field", message: "\(field): \(message)", field: field)
    }

    /// 409: a code or name is taken.
    package static func conflict(_ field: String, _ message: String) -> APIError {
        APIError(.conflict, code: "conflict", message: message, field: field)
    }

    /// The API's answer to a store's error.
    init(store error: StoreError) {
        switch error.code {
        case .conflict: self.init(.conflict, code: "conflict", message: error.message)
        case .notFound: self.init(.notFound, code: "not_found", message: error.message)
        case .invalid: self.init(.unprocessableContent, code: "invalid_field", message: error.message)
        case .unavailable:
            // Nothing was changed: the store was down, busy past the request's deadline, or locked by someone else.
            self.init(.serviceUnavailable, code: "unavailable", message: "the store did not answer in time; nothing was changed, try again")
            headers[.retryAfter] = "1"
        }
    }
}

extension APIError {
    /// A use case's refusal, as the client sees it.
    init(domain error: DomainError) {
        switch error.code {
        case .invalid:
            self.init(.unprocessableContent, code: error.reason ?? "invalid_field",
                      message: error.field.map { "\($0): \(error.message)" } ?? error.message, field: error.field)
        case .notFound: self.init(.notFound, code: error.reason ?? "not_found", message: error.message, field: error.field)
        case .conflict: self.init(.conflict, code: error.reason ?? "conflict", message: error.message, field: error.field)
        case .forbidden: self.init(.forbidden, code: error.reason ?? "forbidden", message: error.message, field: error.field)
        }
    }
}

/// Turns the store's and the use cases' errors that reach the router into API errors.
struct StoreErrorMiddleware: RouterMiddleware {
    typealias Context = ClicklineRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as StoreError {
            throw APIError(store: error)
        } catch let error as DomainError {
            throw APIError(domain: error)
        } catch is CancellationError {
            throw APIError(store: StoreError(.unavailable, "cancelled"))
        }
    }
}

/// A field of a JSON object as sent: absent, `null`, or a value. PATCH bodies
/// change only the fields present; `null` clears a field that may be empty.
enum Sent<Value: Sendable>: Sendable {
    case absent, null, value(Value)

    var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    var isAbsent: Bool {
        if case .absent = self { return true }
        return false
    }
}

extension KeyedDecodingContainer {
    func sent<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Sent<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(type, forKey: key))
    }
}

extension HTTPFields {
    /// Adds a field named outside `HTTPField.Name`'s constants.
    mutating func set(_ name: String, _ value: String) {
        guard let fieldName = Element.Name(name) else { return }
        self[fieldName] = value
    }
}
