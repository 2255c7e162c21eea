import ClickModel
import Domain
import Foundation
import Hummingbird
import Logging
import Services
import Wire

/// Conversions in (postbacks, Shopify order webhooks), conversions read and
/// reversed, commissions paid (SPEC section 4 and the payments of section 5).
/// Every conversion is committed before a 2xx goes out; when the store cannot
/// commit, the answer is 503.
struct ConversionAPI: Sendable {
    let store: any ConversionStore & ShopStore
    let recorder: ConversionRecorder
    let payments: Payments
    /// What makes an order evidence that its code has leaked.
    let quality: QualityRules

    /// Routes that authenticate themselves (postback token, Shopify signature).
    func registerPublic(on router: Router<ClicklineRequestContext>) {
        router.get("/v1/postback", use: postback)
        router.post("/v1/postback", use: postback)
        router.post("/v1/webhooks/shopify/{id}", use: shopify)
    }

    func registerAdmin(on router: RouterGroup<ClicklineRequestContext>) {
        router.get("/v1/conversions", use: list)
        router.get("/v1/conversions/{id}", use: get)
        router.post("/v1/conversions/{id}/reverse", use: reverse)
        router.get("/v1/review", use: reviewQueue)
        router.post("/v1/conversions/{id}/approve", use: approve)
        router.post("/v1/conversions/{id}/reject", use: reject)
        router.get("/v1/payments/due", use: due)
        router.post("/v1/payments", use: pay)
        router.get("/v1/payments", use: payments)
    }

    // MARK: postback

    @Sendable func postback(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        var fields = request.uri.queryParameters.dictionary
        if request.method == .post, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            for (key, value) in Self.formFields(String(buffer: body)) where fields[key] == nil { fields[key] = value }
        }
        guard let token = request.header("X-Clickline-Token") ?? fields["token"], !token.isEmpty else {
            throw APIError.unauthorized("the offer's postback token is required (token= or X-Clickline-Token)")
        }
        guard let offer = try await store.offer(postbackToken: token) else { throw APIError.unauthorized("the postback token is unknown") }
        let orderID = try Self.orderID(fields["order_id"])
        let amount = try await money(fields["amount"], currency: fields["currency"], field: "amount")
        if let event = fields["event"], event.utf8.count > 64 || Code(event) == nil {
            throw APIError.invalid("event", "an event is 1 to 64 characters of A-Z a-z 0-9 - _")
        }
        let clickID = fields["clk"].flatMap { $0.isEmpty ? nil : $0 }
        var conversionRequest = ConversionRequest(
            offerID: offer.id, orderID: orderID, amount: amount, event: fields["event"], source: .postback, clickID: clickID,
            now: Timestamp.now())
        conversionRequest.fastConversion = quality.fastConversion
        conversionRequest.customer = Self.customer(fields["customer_email"])
        conversionRequest.sharedCustomer = quality.sharedCustomer
        conversionRequest.newCustomers = quality.newCustomers
        conversionRequest.conversionRate = quality.conversionRate
        return try await answer(try record(conversionRequest, context: context))
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    /// The customer an order names by email, with the hash kept in its stead; nil without a usable email.
    static func customer(_ email: String?) -> Customer? {
        guard let email = Customer.normalized(email) else { return nil }
        let hex = Array("0123456789abcdef")
        let hash = Secrets.hash(email).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }
        return Customer(email: email, hash: String(hash))
    }

    static func formFields(_ body: String) -> [(String, String)] {
        body.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let key = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
            return (key, value)
        }
    }

    static func orderID(_ text: String?) throws -> String {
        guard let text, !text.isEmpty else { throw APIError.invalid("order_id", "is required") }
        guard text.utf8.count <= 128, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw APIError.invalid("order_id", "an order id is 1 to 128 visible ASCII characters")
        }
        return text
    }

    /// A decimal string in the workspace currency's major unit, as minor units.
    func money(_ text: String?, currency code: String?, field: String) async throws -> Money {
        try await recorder.amount(text, currency: code, field: field)
    }

    func record(_ request: ConversionRequest, context: ClicklineRequestContext) async throws -> ConversionRecording {
        do {
            return try await recorder.record(request)
        } catch let error as StoreError where error.code == .unavailable {
            context.logger.warning("conversion not stored; the sender is told to send it again", metadata: [
                "order_id": "\(request.orderID)", "error": "\(error.message)"])
            var unavailable = APIError.unavailable("the conversion could not be stored; nothing was recorded, send it again")
            unavailable.headers[.retryAfter] = "1"
            throw unavailable
        }
    }

    func answer(_ recording: ConversionRecording) throws -> Response {
        switch recording {
        case .created(let conversion): return try JSONBody.response(ConversionBody(conversion: conversion), status: .created)
        case .existing(let conversion): return try JSONBody.response(ConversionBody(conversion: conversion))
        case .ignored(let reason): return try JSONBody.response(["status": "ignored", "reason": reason])
        }
    }

    // MARK: Shopify

    @Sendable func shopify(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        let body = Array(buffer.readableBytesView)
        // The signature is checked before anything else is read.
        guard let shop = try await store.shopifyStore(id: id) else { throw APIError.notFound("store \(id) does not exist") }
        guard ShopifySignature.isValid(body: body, secret: shop.webhookSecret,
                                       header: request.header("X-Shopify-Hmac-Sha256")) else {
            throw APIError.unauthorized("the X-Shopify-Hmac-Sha256 signature is missing or wrong")
        }
        if let domain = request.header("X-Shopify-Shop-Domain"), domain.lowercased() != shop.shopDomain {
            throw APIError.unauthorized("the order comes from \(domain), not from \(shop.shopDomain)")
        }
        let order: ShopifyOrder
        do {
            order = try JSONDecoder().decode(ShopifyOrder.self, from: Data(body))
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        }
        if order.test == true { return try JSONBody.response(["status": "ignored", "reason": "a test order is acknowledged, not credited"]) }
        guard let sale = order.saleAmount else { throw APIError.invalid("current_subtotal_price_set", "the order has no subtotal") }
        let amount = try await money(sale.amount, currency: sale.currency, field: "current_subtotal_price_set.shop_money.amount")
        let delivery = ShopifyDelivery(
            storeID: shop.id, webhookID: request.header("X-Shopify-Webhook-Id"),
            eventID: request.header("X-Shopify-Event-Id"))
        var conversionRequest = ConversionRequest(
            offerID: nil, orderID: try Self.orderID(order.id.text), amount: amount, event: "order", source: .shopify,
            codes: order.codes, clickID: order.clickID, shopify: delivery, now: Timestamp.now())
        conversionRequest.couponSite = quality.couponSites.site(of: order.referring_site)
        conversionRequest.redemptionSpike = quality.redemptionSpike
        conversionRequest.fastConversion = quality.fastConversion
        conversionRequest.customer = Self.customer(order.email ?? order.customer?.email)
        conversionRequest.sharedCustomer = quality.sharedCustomer
        conversionRequest.newCustomers = quality.newCustomers
        conversionRequest.conversionRate = quality.conversionRate
        // Shopify retries anything but 2xx, so a duplicate is a 200 too.
        var response = try await answer(try record(conversionRequest, context: context))
        if response.status == .created { response.status = .ok }
        return response
    }

    // MARK: conversions

    @Sendable func list(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await list(query: request.uri.queryParameters.dictionary)
    }

    func list(query: [String: String]) async throws -> Response {
        var filter = ConversionQuery()
        if let text = query["limit"] {
            guard let limit = Int(text), (1...1000).contains(limit) else { throw APIError.invalid("limit", "must be from 1 to 1000") }
            filter.limit = limit
        }
        if let text = query["cursor"], !text.isEmpty {
            guard let after = Int64(text) else { throw APIError.invalid("cursor", "must be a cursor from next_cursor") }
            filter.afterID = after
        }
        if let text = query["offer_id"] {
            guard let id = UInt32(text) else { throw APIError.invalid("offer_id", "must be an offer id") }
            filter.offerID = id
        }
        if let text = query["partner_id"] {
            guard let id = UInt32(text) else { throw APIError.invalid("partner_id", "must be a partner id") }
            filter.partnerID = id
        }
        if let text = query["status"] { filter.status = try Validate.choice(text, "status", as: Conversion.Status.self) }
        if let text = query["review"] { filter.review = try Validate.choice(text, "review", as: Conversion.Review.self) }
        if let text = query["from"] { filter.from = try Validate.time(text, "from") }
        if let text = query["to"] { filter.to = try Validate.time(text, "to") }
        let conversions = try await store.conversions(filter)
        let next = conversions.count == filter.limit ? conversions.last.map { String($0.id) } : nil
        return try JSONBody.response(Page(items: conversions.map { ConversionBody(conversion: $0) }, nextCursor: next))
    }

    @Sendable func get(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        guard let conversion = try await store.conversion(id: Int64(id)) else { throw APIError.notFound("conversion \(id) does not exist") }
        return try JSONBody.response(ConversionBody(conversion: conversion))
    }

    @Sendable func reverse(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        return try JSONBody.response(ConversionBody(conversion: try await store.reverseConversion(id: Int64(id), at: Timestamp.now())))
    }

    // MARK: the review queue

    /// The held conversions, oldest first, paged like `GET /v1/conversions`;
    /// a held conversion refunded meanwhile earns nothing and waits for no one.
    @Sendable func reviewQueue(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        var query = request.uri.queryParameters.dictionary
        query["review"] = Conversion.Review.held.rawValue
        query["status"] = Conversion.Status.accepted.rawValue
        return try await list(query: query)
    }

    @Sendable func approve(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await decide(.approve, request, context: context)
    }

    @Sendable func reject(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        try await decide(.reject, request, context: context)
    }

    struct DecisionInput: Decodable {
        var reason: String?
    }

    func decide(_ verdict: ReviewDecision.Verdict, _ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let id = try context.id("id")
        let input = try await JSONBody.decode(DecisionInput.self, from: request, context: context)
        let reason = try ReviewRules.reason(input.reason)
        let decision = ReviewDecision(conversionID: Int64(id), verdict: verdict, reason: reason,
                                      by: "\(context.role?.rawValue ?? "admin") key", at: Timestamp.now())
        return try JSONBody.response(ConversionBody(conversion: try await store.review(decision)))
    }

    // MARK: payments

    struct DueBody: Encodable {
        var partner_id: UInt32
        var partner_code: String
        var name: String
        var email: String?
        var amount: Int64
        var currency: String
        var commissions: Int
        var payable: Bool

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(partner_id, forKey: .partner_id)
            try c.encode(partner_code, forKey: .partner_code)
            try c.encode(name, forKey: .name)
            try c.encode(email, forKey: .email)
            try c.encode(amount, forKey: .amount)
            try c.encode(currency, forKey: .currency)
            try c.encode(commissions, forKey: .commissions)
            try c.encode(payable, forKey: .payable)
        }

        enum CodingKeys: String, CodingKey { case partner_id, partner_code, name, email, amount, currency, commissions, payable }
    }

    @Sendable func due(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let query = request.uri.queryParameters.dictionary
        let offerID = try query["offer_id"].map { text in
            guard let id = UInt32(text) else { throw APIError.invalid("offer_id", "must be an offer id") }
            return id
        }
        let partnerIDs = try (query["partner_ids"] ?? "").split(separator: ",").map { text in
            guard let id = UInt32(text) else { throw APIError.invalid("partner_ids", "must be partner ids separated by commas") }
            return id
        }
        let due = try await payments.due(offerID: offerID, partnerIDs: partnerIDs, now: Timestamp.now())
        if query["format"] == "csv" {
            var csv = CSV(header: ["partner_id", "partner_code", "name", "email", "amount", "currency", "commissions"])
            for line in due where line.amount.minorUnits > 0 {
                csv.append([String(line.partner.id), line.partner.code.value, line.partner.name, line.partner.email ?? "",
                            line.amount.decimalString, line.amount.currency.code, String(line.commissions)])
            }
            return csv.response(fileName: "payouts-due-\(Timestamp.format(Timestamp.now()).prefix(10)).csv")
        }
        let items = due.map { line in
            DueBody(partner_id: line.partner.id, partner_code: line.partner.code.value, name: line.partner.name, email: line.partner.email,
                    amount: line.amount.minorUnits, currency: line.amount.currency.code, commissions: line.commissions,
                    payable: line.amount.minorUnits > 0)
        }
        struct DueList: Encodable {
            var items: [DueBody]
            var total: Int64
            var next_cursor: String?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(items, forKey: .items)
                try c.encode(total, forKey: .total)
                try c.encode(next_cursor, forKey: .next_cursor)
            }
            enum CodingKeys: String, CodingKey { case items, total, next_cursor }
        }
        return try JSONBody.response(DueList(items: items, total: items.filter(\.payable).reduce(0) { $0 + $1.amount }, next_cursor: nil))
    }

    struct PayInput: Decodable {
        var offer_id: UInt32?
        var partner_ids: [UInt32]?
        var reference: String?
    }

    @Sendable func pay(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var input = PayInput()
        if body.readableBytes > 0 {
            do {
                input = try JSONDecoder().decode(PayInput.self, from: Data(body.readableBytesView))
            } catch let error as DecodingError {
                throw APIError(decoding: error)
            }
        }
        if let reference = input.reference { _ = try Validate.text(reference, "reference", max: 200) }
        let paid = try await payments.pay(offerID: input.offer_id, partnerIDs: input.partner_ids ?? [], reference: input.reference,
                                          now: Timestamp.now())
        return try JSONBody.response(Page(items: paid.map(PaymentBody.init), nextCursor: nil), status: paid.isEmpty ? .ok : .created)
    }

    @Sendable func payments(_ request: Request, context: ClicklineRequestContext) async throws -> Response {
        let query = request.uri.queryParameters.dictionary
        let paging = try Paging(query)
        let partnerID = try query["partner_id"].map { text in
            guard let id = UInt32(text) else { throw APIError.invalid("partner_id", "must be a partner id") }
            return id
        }
        let payments = try await store.payments(partnerID: partnerID, afterID: Int64(paging.after), limit: paging.limit)
        if query["format"] == "csv" {
            var csv = CSV(header: ["payment_id", "partner_id", "amount", "currency", "offer_id", "reference", "commissions", "created_at"])
            for payment in payments {
                csv.append([String(payment.id), String(payment.partnerID), payment.amount.decimalString, payment.amount.currency.code,
                            payment.offerID.map(String.init) ?? "", payment.reference ?? "", String(payment.commissions),
                            Timestamp.format(payment.createdAt)])
            }
            return csv.response(fileName: "payments.csv")
        }
        let next = payments.count == paging.limit ? payments.last.map { String($0.id) } : nil
        return try JSONBody.response(Page(items: payments.map(PaymentBody.init), nextCursor: next))
    }
}

extension Request {
    /// A header's value by name, in any case.
    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.canonicalName == lower }?.value
    }
}
