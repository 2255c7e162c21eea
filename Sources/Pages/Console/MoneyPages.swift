import API
import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Store
import Wire

/// Conversions (the list, each one's attribution record, reversal) and
/// payments (what is due per partner, sending it, the history, CSV).
extension ConsolePages {
    func registerMoney(on pages: RouterGroup<PageContext>) {
        pages.get("/conversions", use: conversionsPage)
        pages.get("/conversions/{id}", use: conversionPage)
        pages.post("/conversions/{id}/reverse", use: reverseConversion)
        pages.get("/review", use: reviewPage)
        pages.post("/conversions/{id}/review", use: reviewConversion)
        pages.get("/payments", use: paymentsPage)
        pages.get("/payments.csv", use: paymentsCSV)
        pages.post("/payments", use: pay)
        pages.get("/offers/{id}/pay", use: payOfferPage)
    }

    // MARK: conversions

    @Sendable func conversionsPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let query = request.uri.queryParameters
        var filter = ConversionQuery(limit: 200)
        var problem: String?
        if let text = query["offer_id"], !text.isEmpty { filter.offerID = UInt32(text) }
        if let text = query["partner"], !text.isEmpty {
            if let partner = try await store.partners(PartnerQuery(text: String(text), limit: 1)).first { filter.partnerID = partner.id } else {
                problem = "No partner matches \(text)."
                filter.partnerID = UInt32.max
            }
        }
        if let text = query["status"], let status = Conversion.Status(rawValue: String(text)) { filter.status = status }
        do {
            filter.from = try FormInput.date(query["from"].map(String.init), field: "from").flatMap(Timestamp.parse)
            filter.to = try FormInput.date(query["to"].map(String.init), field: "to", endOfDay: true).flatMap(Timestamp.parse)
        } catch {
            problem = error.message
        }
        let currency = try await store.currency()
        let conversions = try await store.conversions(filter)
        var names: [UInt32: String] = [:]
        for id in Set(conversions.compactMap(\.partnerID)) { names[id] = try await store.partner(id: id)?.name }
        var offers: [UInt32: String] = [:]
        for offer in try await store.offers(OfferQuery(limit: 1000, now: Self.now())) { offers[offer.id] = offer.name }
        return page("conversions", [
            "title": "Conversions", "section": "conversions", "problem": problem ?? "",
            "conversions": conversions.map { conversion in
                ["id": conversion.id, "date": Self.day(conversion.createdAt), "order": conversion.orderID,
                 "offer": offers[conversion.offerID] ?? "offer \(conversion.offerID)",
                 "partner": conversion.partnerID.flatMap { names[$0] } ?? "nobody",
                 "amount": Self.money(conversion.amount.minorUnits, currency), "status": conversion.status.rawValue,
                 "commission": Self.money(conversion.commissions.filter { $0.status != .reversed && $0.amount.minorUnits > 0 }
                    .reduce(0) { $0 + $1.amount.minorUnits }, currency)]
            },
            "offers": offers.sorted { $0.key < $1.key }.map { ["id": $0.key, "name": $0.value, "selected": filter.offerID == $0.key] },
            "statuses": Conversion.Status.allCases.map { ["name": $0.rawValue, "selected": filter.status == $0] },
            "partner": query["partner"].map(String.init) ?? "", "from": query["from"].map(String.init) ?? "",
            "to": query["to"].map(String.init) ?? "", "currency": currency.code,
        ], context)
    }

    @Sendable func conversionPage(_ request: Request, context: PageContext) async throws -> Response {
        let teammate = try context.team(.read, request)
        return try await conversionPage(try await conversion(context), teammate: teammate, context)
    }

    func conversion(_ context: PageContext) async throws -> Conversion {
        guard let text = context.parameters.get("id"), let id = Int64(text), let conversion = try await store.conversion(id: id) else {
            throw PageError.notFound("There is no such conversion.")
        }
        return conversion
    }

    func conversionPage(_ conversion: Conversion, teammate: TeamMember, problem: String? = nil, reason: String = "", _ context: PageContext,
                        status: HTTPResponse.Status = .ok) async throws -> Response {
        let currency = try await store.currency()
        let offer = try await store.offer(id: conversion.offerID)
        func name(_ id: UInt32?) async throws -> String {
            guard let id else { return "nobody" }
            return try await store.partner(id: id).map { "\($0.name) (\($0.code.value))" } ?? "partner \(id)"
        }
        var lines: [[String: Any]] = []
        for line in conversion.commissions {
            lines.append(["partner": try await name(line.partnerID), "kind": line.kind.rawValue, "status": line.status.rawValue,
                          "amount": Self.money(line.amount.minorUnits, currency), "available": Self.day(line.availableAt)])
        }
        var candidates: [[String: Any]] = []
        if let code = conversion.candidates.code {
            candidates.append(["kind": "Promo code \(code.code)", "partner": try await name(code.partnerID), "note": code.refusal ?? ""])
        }
        if let click = conversion.candidates.click {
            let note = !click.found ? "no stored click of this offer has this id"
                : !click.billable ? "the click was not billable (a bot, or it credited nobody)" : "clicked \(Timestamp.format(click.clickedAt))"
            candidates.append(["kind": "Click \(click.clickID)", "partner": try await name(click.partnerID == 0 ? nil : click.partnerID), "note": note])
        }
        return page("conversion", [
            "title": "Conversion \(conversion.orderID)", "section": "conversions",
            "conversion": ["id": conversion.id, "order": conversion.orderID, "offer": offer?.name ?? "", "offer_id": conversion.offerID,
                           "amount": Self.money(conversion.amount.minorUnits, currency), "currency": currency.code,
                           "status": conversion.status.rawValue, "source": conversion.source.rawValue,
                           "date": Timestamp.format(conversion.createdAt), "reversible": conversion.status == .accepted],
            "decision": ["winner": conversion.decision.winner.rawValue, "partner": try await name(conversion.decision.partnerID),
                         "policy": conversion.decision.policy.rawValue, "reason": conversion.decision.reason],
            "candidates": candidates, "lines": lines, "can_act": teammate.role.may(.manage),
            "flags": conversion.flags.map { ["code": $0.code, "detail": $0.detail] },
            "review": conversion.review?.rawValue ?? "", "has_flags": !conversion.flags.isEmpty, "has_log": !conversion.reviewLog.isEmpty,
            "log": conversion.reviewLog.map { ["decision": $0.decision.rawValue, "by": $0.by, "reason": $0.reason, "at": Timestamp.format($0.at)] },
            "can_approve": ReviewRules.refusal(of: .approve, on: conversion) == nil,
            "can_reject": ReviewRules.refusal(of: .reject, on: conversion) == nil,
            "problem": problem ?? "", "reason": reason, "submission": FormToken.make(),
        ], context, status: status)
    }

    // MARK: the review queue

    /// The held conversions, oldest first, each with why it is held.
    @Sendable func reviewPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let currency = try await store.currency()
        let held = try await store.conversions(ConversionQuery(status: .accepted, review: .held, limit: 1000))
        var names: [UInt32: String] = [:]
        for id in Set(held.flatMap { $0.commissions.map(\.partnerID) }) { names[id] = try await store.partner(id: id)?.name }
        return page("review", [
            "title": "Review", "section": "review", "currency": currency.code, "count": held.count,
            "conversions": held.map { conversion in
                let lines = conversion.commissions.filter { $0.status == .held }
                return ["id": conversion.id, "date": Self.day(conversion.createdAt), "order": conversion.orderID,
                        "partners": Set(lines.map(\.partnerID)).sorted().map { names[$0] ?? "partner \($0)" }.joined(separator: ", "),
                        "amount": Self.money(conversion.amount.minorUnits, currency),
                        "held": Self.money(lines.reduce(0) { $0 + $1.amount.minorUnits }, currency),
                        "why": conversion.flags.map(\.detail).joined(separator: "; ")]
            },
        ], context)
    }

    /// Approves or rejects a conversion with the teammate's reason, logged under their email.
    @Sendable func reviewConversion(_ request: Request, context: PageContext) async throws -> Response {
        let teammate = try context.team(.manage, request)
        let conversion = try await conversion(context)
        guard let verdict = context.form.text("verdict").flatMap(ReviewDecision.Verdict.init(rawValue:)) else {
            return try await conversionPage(conversion, teammate: teammate, problem: "Choose approve or reject.", context,
                                            status: .unprocessableContent)
        }
        let reason: String
        do {
            reason = try ReviewRules.reason(context.form.text("reason"))
        } catch {
            return try await conversionPage(conversion, teammate: teammate, problem: error.message.prefix(1).uppercased() + error.message.dropFirst() + ".",
                                            reason: context.form.text("reason") ?? "", context, status: .unprocessableContent)
        }
        if let refusal = ReviewRules.refusal(of: verdict, on: conversion) {
            return try await conversionPage(conversion, teammate: teammate, problem: refusal.prefix(1).uppercased() + refusal.dropFirst() + ".",
                                            context, status: .conflict)
        }
        return try await once(context, pending: "/conversions/\(conversion.id)") {
            _ = try await store.review(ReviewDecision(conversionID: conversion.id, verdict: verdict, reason: reason, by: teammate.email,
                                                      at: Self.now()))
            return "/conversions/\(conversion.id)"
        }
    }

    @Sendable func reverseConversion(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        guard let text = context.parameters.get("id"), let id = Int64(text), try await store.conversion(id: id) != nil else {
            throw PageError.notFound("There is no such conversion.")
        }
        return try await once(context, pending: "/conversions/\(id)") {
            _ = try await store.reverseConversion(id: id, at: Self.now())
            return "/conversions/\(id)"
        }
    }

    // MARK: payments

    @Sendable func paymentsPage(_ request: Request, context: PageContext) async throws -> Response {
        let teammate = try context.team(.read, request)
        let currency = try await store.currency()
        let offerID = request.uri.queryParameters["offer_id"].flatMap { UInt32(String($0)) }
        let due = try await payments.due(offerID: offerID, partnerIDs: [], now: Self.now())
        let history = try await store.payments(partnerID: nil, afterID: 0, limit: 1000).reversed()
        var names: [UInt32: String] = [:]
        for partner in due.map(\.partner) { names[partner.id] = partner.name }
        for id in Set(history.map(\.partnerID)) where names[id] == nil { names[id] = try await store.partner(id: id)?.name }
        let offers = try await store.offers(OfferQuery(limit: 1000, now: Self.now()))
        let total = due.reduce(0) { $0 + $1.amount.minorUnits }
        return page("payments", [
            "title": "Payments", "section": "payments", "currency": currency.code,
            "due": due.map { ["id": $0.partner.id, "name": $0.partner.name, "amount": Self.money($0.amount.minorUnits, currency),
                              "commissions": $0.commissions] },
            "total": Self.money(total, currency), "partner_count": due.count, "has_due": total > 0,
            "history": history.map { ["id": $0.id, "date": Self.day($0.createdAt), "partner": names[$0.partnerID] ?? "partner \($0.partnerID)",
                                      "amount": Self.money($0.amount.minorUnits, currency), "reference": $0.reference ?? "",
                                      "offer": $0.offerID.flatMap { id in offers.first { $0.id == id }?.name } ?? "all offers",
                                      "commissions": $0.commissions] },
            "offers": offers.map { ["id": $0.id, "name": $0.name, "selected": $0.id == offerID] }, "offer_id": offerID ?? 0,
            "paid": request.uri.queryParameters["paid"].map(String.init) ?? "", "submission": FormToken.make(),
            "can_act": teammate.role.may(.manage),
            "confirm": "Send \(Self.money(total, currency)) \(currency.code) to \(due.count) partner\(due.count == 1 ? "" : "s")?",
        ], context)
    }

    @Sendable func paymentsCSV(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let currency = try await store.currency()
        var csv = CSV(header: ["payment_id", "created_at", "partner_id", "partner", "offer_id", "amount", "currency", "commissions", "reference"])
        var names: [UInt32: String] = [:]
        for payment in try await store.payments(partnerID: nil, afterID: 0, limit: 100_000) {
            if names[payment.partnerID] == nil { names[payment.partnerID] = try await store.partner(id: payment.partnerID)?.name ?? "" }
            csv.append([String(payment.id), Timestamp.format(payment.createdAt), String(payment.partnerID), names[payment.partnerID] ?? "",
                        payment.offerID.map(String.init) ?? "", payment.amount.decimalString, currency.code, String(payment.commissions),
                        payment.reference ?? ""])
        }
        return csv.response(fileName: "payments.csv")
    }

    /// Sends what is due: all of it, one offer's, or the chosen partners'.
    @Sendable func pay(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let form = context.form
        let offerID = form["offer_id"].flatMap { UInt32($0) }.flatMap { $0 == 0 ? nil : $0 }
        let partners = form["scope"] == "chosen" ? form.ids("partner") : []
        if form["scope"] == "chosen" && partners.isEmpty {
            throw DomainError.invalid("partner", "Choose at least one partner to pay.")
        }
        let reference = form.text("reference")
        return try await once(context, pending: "/payments") {
            let paid = try await payments.pay(offerID: offerID, partnerIDs: partners, reference: reference, now: Self.now())
            return "/payments?paid=\(paid.count)"
        }
    }

    /// Send Payment for one offer: the total and the number of partners, then a confirmation.
    @Sendable func payOfferPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let currency = try await store.currency()
        let due = try await payments.due(offerID: offer.id, partnerIDs: [], now: Self.now())
        let total = due.reduce(0) { $0 + $1.amount.minorUnits }
        return page("pay-offer", [
            "title": "Send Payment: \(offer.name)", "section": "dashboard", "offer": ["id": offer.id, "name": offer.name],
            "total": Self.money(total, currency), "currency": currency.code, "partner_count": due.count, "has_due": total > 0,
            "due": due.map { ["name": $0.partner.name, "amount": Self.money($0.amount.minorUnits, currency), "commissions": $0.commissions] },
            "submission": FormToken.make(),
        ], context)
    }
}
