import API
import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Store

/// Add Offer, the offer form (the same for a new offer and for editing),
/// pausing, archiving and reactivating.
extension ConsolePages {
    func registerOffers(on pages: RouterGroup<PageContext>) {
        pages.get("/offers/new", use: newOffer)
        pages.post("/offers/new", use: createOffer)
        pages.get("/offers/{id}/edit", use: editOffer)
        pages.post("/offers/{id}/edit", use: updateOffer)
        pages.post("/offers/{id}/status", use: changeStatus)
    }

    /// The API's field names, as the form names them.
    static let offerFieldNames = [
        "payout.value": "payout_value", "payout.type": "payout_type", "payout": "payout_value",
        "promo.group_name": "group_name", "promo.naming.prefix": "naming_prefix", "promo.naming.length": "naming_length",
        "promo.naming": "naming_strategy", "promo.discount.value": "discount_value", "promo.discount": "discount_value",
        "promo.restrictions.min_purchase": "min_purchase", "promo.usage_limit_per_code": "usage_limit", "promo": "group_name",
        "destination_url": "destination_url", "parent_override_percent": "parent_override_percent",
    ]

    @Sendable func newOffer(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        guard let typeText = request.uri.queryParameters["type"], let type = OfferType(rawValue: String(typeText)) else {
            return page("offer-type", ["title": "Add Offer", "section": "dashboard"], context)
        }
        var state = FormState(values: ["payout_type": "percent", "naming_strategy": "name_discount", "discount_type": "percent",
                                       "credit_policy": "code_first", "attribution_window_days": "30", "hold_days": "0",
                                       "leaked_code_policy": LeakedCodePolicy.credit.rawValue])
        if type == .link { state.values["links"] = "" }
        // Set up from a project's sales stage: the new offer is bound to the stage once saved.
        for name in ["project", "stage"] {
            if let value = request.uri.queryParameters[Substring(name)], UInt32(String(value)) != nil { state.values[name] = String(value) }
        }
        return try await offerForm(type: type, offer: nil, state: state, context)
    }

    @Sendable func createOffer(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let form = context.form
        guard let type = form["type"].flatMap(OfferType.init(rawValue:)) else { throw PageError.notFound("Choose a kind of offer first.") }
        let currency = try await store.currency()
        do {
            var offer = try FormInput.decode(OfferInput.self, try offerJSON(form, type: type, currency: currency)).newOffer()
            offer.type = type
            let links = try linkLines(form["links"] ?? "", type: type)
            for (code, _) in links where try await store.link(code: code) != nil {
                throw APIError.conflict("links", "the link code \(code.value) is taken")
            }
            var stage: (project: Project, stageID: UInt32)?
            if let projectID = form["project"].flatMap({ UInt32($0) }), let stageID = form["stage"].flatMap({ UInt32($0) }),
               let project = try await store.project(id: projectID) {
                stage = (project, stageID)
            }
            return try await once(context, pending: "/dashboard") {
                offer = try await catalogue.create(offer)
                for (code, destination) in links { _ = try await catalogue.addLink(code, to: offer, destination: destination) }
                if let stage {
                    _ = try await workflow.update(stageID: stage.stageID, of: stage.project) { [id = offer.id] in $0.offerID = id }
                    return "/projects/\(stage.project.id)/settings"
                }
                return "/offers/\(offer.id)?created=1"
            }
        } catch {
            guard let errors = FormInput.errors(error, names: Self.offerFieldNames, fallback: "name") else { throw error }
            return try await offerForm(type: type, offer: nil, state: FormState(values: form.values, errors: errors), context,
                                       status: .unprocessableContent)
        }
    }

    @Sendable func editOffer(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        return try await offerForm(type: offer.type, offer: offer, state: FormState(values: try await formValues(of: offer)), context)
    }

    @Sendable func updateOffer(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let form = context.form
        let currency = try await store.currency()
        do {
            let input = try FormInput.decode(OfferInput.self, try offerJSON(form, type: offer.type, currency: currency, editing: true))
            _ = try await store.updateOffer(id: offer.id) { offer throws(APIError) in try input.apply(to: &offer) }
            return Renderer.redirect("/offers/\(offer.id)?saved=1")
        } catch {
            guard let errors = FormInput.errors(error, names: Self.offerFieldNames, fallback: "name") else { throw error }
            return try await offerForm(type: offer.type, offer: offer, state: FormState(values: form.values, errors: errors), context,
                                       status: .unprocessableContent)
        }
    }

    @Sendable func changeStatus(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let input = try FormInput.decode(OfferInput.self, ["status": context.form["status"] ?? ""])
        _ = try await store.updateOffer(id: offer.id) { offer throws(APIError) in try input.apply(to: &offer) }
        return Renderer.redirect("/offers/\(offer.id)")
    }

    /// The form's fields as the API's `OfferInput` JSON.
    func offerJSON(_ form: FormFields, type: OfferType, currency: Currency, editing: Bool = false) throws -> [String: Any] {
        var json: [String: Any] = ["name": form["name"] ?? "", "description": form["description"] ?? ""]
        if !editing { json["type"] = type.rawValue }
        let payoutType = form["payout_type"] ?? "percent"
        if payoutType == "flat" {
            guard let value = try FormInput.money(form["payout_value"], currency: currency, field: "payout_value") else {
                throw APIError.invalid("payout_value", "Enter the payout per sale.")
            }
            json["payout"] = ["type": "flat", "value": value]
        } else {
            guard let value = try FormInput.number(form["payout_value"], field: "payout_value") else {
                throw APIError.invalid("payout_value", "Enter the percent of each sale.")
            }
            json["payout"] = ["type": payoutType, "value": value]
        }
        json["parent_override_percent"] = try FormInput.number(form["parent_override_percent"], field: "parent_override_percent") ?? NSNull()
        if let days = try FormInput.integer(form["attribution_window_days"], field: "attribution_window_days") { json["attribution_window_days"] = days }
        if let days = try FormInput.integer(form["hold_days"], field: "hold_days") { json["hold_days"] = days }
        if let policy = form.text("credit_policy") { json["credit_policy"] = policy }
        if let policy = form.text("leaked_code_policy") { json["leaked_code_policy"] = policy }
        json["starts_at"] = try FormInput.date(form["starts_at"], field: "starts_at") ?? NSNull()
        json["ends_at"] = try FormInput.date(form["ends_at"], field: "ends_at", endOfDay: true) ?? NSNull()
        if type == .link {
            json["destination_url"] = form.text("destination_url") ?? NSNull()
        } else {
            var promo: [String: Any] = [:]
            if let group = form.text("group_name") { promo["group_name"] = group }
            var naming: [String: Any] = ["strategy": form["naming_strategy"] ?? "name_discount"]
            if let prefix = form.text("naming_prefix") { naming["prefix"] = prefix }
            if let length = try FormInput.integer(form["naming_length"], field: "naming_length") { naming["length"] = length }
            promo["naming"] = naming
            if let text = form.text("discount_value") {
                let kind = form["discount_type"] ?? "percent"
                let value: Int64? = kind == "amount" ? try FormInput.money(text, currency: currency, field: "discount_value")
                    : try FormInput.integer(text, field: "discount_value").map(Int64.init)
                promo["discount"] = ["type": kind, "value": value ?? 0]
            }
            var restrictions: [String: Any] = ["once_per_customer": form["once_per_customer"] == "on",
                                               "new_customers_only": form["new_customers_only"] == "on"]
            if let minimum = try FormInput.money(form["min_purchase"], currency: currency, field: "min_purchase") {
                restrictions["min_purchase"] = minimum
            }
            promo["restrictions"] = restrictions
            if let limit = try FormInput.integer(form["usage_limit"], field: "usage_limit") { promo["usage_limit_per_code"] = limit }
            json["promo"] = promo
        }
        return json
    }

    /// A link offer's links, one a line: a code, and optionally its own destination.
    func linkLines(_ text: String, type: OfferType) throws -> [(Code, Destination?)] {
        guard type == .link else { return [] }
        var links: [(Code, Destination?)] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = parts.first else { continue }
            let code = try Validate.code(String(first), "links")
            let destination = try parts.dropFirst().first.map { url throws(APIError) in try Validate.destination(String(url), "links") }
            if links.contains(where: { $0.0 == code }) { throw APIError.invalid("links", "the link code \(code.value) is there twice") }
            links.append((code, destination))
        }
        return links
    }

    /// An offer's fields as the form shows them.
    func formValues(of offer: Offer) async throws -> [String: String] {
        let currency = try await store.currency()
        var values: [String: String] = [
            "name": offer.name, "description": offer.description, "attribution_window_days": String(offer.attributionWindowDays),
            "hold_days": String(offer.holdDays), "credit_policy": offer.creditPolicy.rawValue,
            "leaked_code_policy": offer.leakedCodePolicy.rawValue,
            "starts_at": FormInput.dateField(offer.startsAt), "ends_at": FormInput.dateField(offer.endsAt, isEnd: true),
            "destination_url": offer.destination?.url ?? "",
            "parent_override_percent": offer.parentOverride.map { Decimal2.format($0.basisPoints) } ?? "",
        ]
        switch offer.payout {
        case .flat(let minorUnits): (values["payout_type"], values["payout_value"]) = ("flat", Money(minorUnits: minorUnits, currency: currency).decimalString)
        case .percent(let percent): (values["payout_type"], values["payout_value"]) = ("percent", Decimal2.format(percent.basisPoints))
        }
        if let promo = offer.promo {
            values["group_name"] = promo.groupName ?? ""
            values["naming_strategy"] = promo.naming.strategy.rawValue
            values["naming_prefix"] = promo.naming.prefix ?? ""
            values["naming_length"] = promo.naming.length.map(String.init) ?? ""
            if let discount = promo.discount {
                values["discount_type"] = discount.type.rawValue
                values["discount_value"] = discount.type == .amount ? Money(minorUnits: discount.value, currency: currency).decimalString
                    : String(discount.value)
            } else {
                values["discount_type"] = "percent"
            }
            values["min_purchase"] = promo.restrictions.minPurchase.map { Money(minorUnits: $0, currency: currency).decimalString } ?? ""
            values["once_per_customer"] = promo.restrictions.oncePerCustomer ? "on" : ""
            values["new_customers_only"] = promo.restrictions.newCustomersOnly ? "on" : ""
            values["usage_limit"] = promo.usageLimitPerCode.map(String.init) ?? ""
        }
        return values
    }

    func offerForm(type: OfferType, offer: Offer?, state: FormState, _ context: PageContext,
                   status: HTTPResponse.Status = .ok) async throws -> Response {
        var values = state.context
        values["title"] = offer == nil ? "Add a \(Self.typeLabel(type).lowercased()) offer" : "Edit \(offer!.name)"
        values["section"] = "dashboard"
        values["type"] = type.rawValue
        values["is_promo"] = type == .promoCode
        values["is_link"] = type == .link
        values["creating"] = offer == nil
        values["action"] = offer.map { "/offers/\($0.id)/edit" } ?? "/offers/new"
        values["currency"] = try await store.currency().code
        values["submission"] = FormToken.make()
        if let offer {
            values["offer"] = ["id": offer.id, "name": offer.name, "status": offer.effectiveStatus(at: Self.now()).rawValue]
            values["links"] = try await store.links(offerID: offer.id).map { ["code": $0.code.value, "destination": $0.destination.url] }
        }
        return page("offer-form", values, context, status: status)
    }
}
