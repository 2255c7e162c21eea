import API
import ClickModel
import Domain
import Foundation
import Hummingbird
import Services
import Store

/// The offer page: its KPIs, its members (searched, with chosen columns,
/// as CSV), what can be done to each, Add Members, and Email Members.
extension ConsolePages {
    func registerMembers(on pages: RouterGroup<PageContext>) {
        pages.get("/offers/{id}", use: offerPage)
        pages.get("/offers/{id}/members.csv", use: membersCSV)
        pages.get("/offers/{id}/members/add", use: addMembersPage)
        pages.post("/offers/{id}/members/review", use: reviewMembers)
        pages.post("/offers/{id}/members/generate", use: generateMembers)
        pages.get("/offers/{id}/members/done", use: membersDone)
        pages.get("/offers/{id}/members/{partner_id}/edit", use: editMemberPage)
        pages.post("/offers/{id}/members/{partner_id}/edit", use: editMember)
        pages.post("/offers/{id}/members/{partner_id}/status", use: memberStatus)
        pages.post("/offers/{id}/members/{partner_id}/refresh-code", use: refreshCode)
        pages.post("/offers/{id}/members/{partner_id}/remove", use: removeMember)
        pages.get("/offers/{id}/email", use: emailPage)
        pages.post("/offers/{id}/email", use: emailMembers)
    }

    static let memberColumnLabels: [MemberColumn: String] = [
        .clicks: "Clicks", .conversions: "Conversions", .totalSales: "Sales", .commissionsEarned: "Commissions", .paid: "Paid",
        .paymentsDue: "Due",
    ]

    func memberColumns(_ request: Request, _ member: TeamMember) -> [MemberColumn] {
        let chosen = request.uri.queryParameters.getAll("col").compactMap { MemberColumn(rawValue: String($0)) }
        if !chosen.isEmpty { return chosen }
        let remembered = member.preferences["members.columns"]?.split(separator: ",").compactMap { MemberColumn(rawValue: String($0)) } ?? []
        return remembered.isEmpty ? MemberColumn.allCases : remembered
    }

    func memberParameters(_ request: Request, columns: [MemberColumn]) -> [String: String] {
        var parameters: [String: String] = ["columns": columns.map(\.rawValue).joined(separator: ",")]
        let query = request.uri.queryParameters
        for name in ["range", "from", "to", "q", "sort"] {
            if let value = query[Substring(name)], !value.isEmpty { parameters[name] = String(value) }
        }
        if parameters["from"] != nil || parameters["to"] != nil { parameters["range"] = nil }
        return parameters
    }

    @Sendable func offerPage(_ request: Request, context: PageContext) async throws -> Response {
        let teammate = try context.team(.read, request)
        let offer = try await offer(context)
        let currency = try await store.currency()
        let columns = memberColumns(request, teammate)
        if !request.uri.queryParameters.getAll("col").isEmpty {
            let text = columns.map(\.rawValue).joined(separator: ",")
            if teammate.preferences["members.columns"] != text {
                _ = try await store.updateTeamMember(id: teammate.id) { $0.preferences["members.columns"] = text }
            }
        }
        let report = try await reports.memberReport(of: offer, memberParameters(request, columns: columns))
        let kpis = try await reports.offerReport(["columns": KPI.allCases.map(\.rawValue).joined(separator: ","), "range": "last_6_months"]
            .merging(memberParameters(request, columns: []).filter { ["range", "from", "to"].contains($0.key) }) { $1 })
        let sums = kpis.rows.first { $0.offer.id == offer.id }?.sums ?? KPISums()
        func show(_ column: MemberColumn, _ value: Int64) -> String { column.isMoney ? Self.money(value, currency) : Self.count(value) }
        let link = try await store.links(offerID: offer.id).first
        let members: [[String: Any]] = report.rows.map { row in
            let member = row.member
            var values: [String: Any] = ["id": member.partner.id, "offer_id": offer.id, "is_promo": offer.type == .promoCode, "name": member.partner.name,
                    "email": member.partner.email ?? "",
                    "code": member.promoCode ?? (link.map { urls.tracking(link: $0.code, partner: member.partner.code) } ?? ""),
                    "status": member.status.rawValue, "active": member.status == .active, "dates": Self.dates(member.startsAt, member.endsAt),
                    "payout": member.payoutOverride.map { Self.payoutText($0, currency) } ?? "offer's",
                    "cells": columns.map { ["value": show($0, $0.value(row)), "key": $0.rawValue] }]
            if let leak = member.leak {
                values["leak"] = "leaked: \(leak.orderCount) \(leak.orderCount == 1 ? "order" : "orders")"
                    + (leak.referrers.isEmpty ? "" : " from \(leak.referrers.prefix(3).joined(separator: ", "))")
            }
            if !member.previousCodes.isEmpty {
                values["previous"] = "replaced: " + member.previousCodes.map(\.code).joined(separator: ", ")
            }
            return values
        }
        let query = request.uri.queryParameters
        let now = Self.now()
        let defaults = offer.linkDefaults
        let defaultsSummary = Self.rulesSummary(rules: defaults.rules, caps: defaults.caps, expiresAt: defaults.expiresAt)
        let links: [[String: Any]] = offer.type == .link ? try await store.links(offerID: offer.id).map { link in
            let own = Self.rulesSummary(rules: link.rules, caps: link.caps, expiresAt: link.expiresAt)
            return ["code": link.code.value, "destination": link.destination.url, "edit": "/offers/\(offer.id)/links/\(link.id)/rules",
                    "summary": !own.isEmpty ? own : defaultsSummary.isEmpty ? "none" : "the offer's (\(defaultsSummary))"]
        } : []
        return page("offer", [
            "is_link_offer": offer.type == .link, "links": links,
            "defaults_summary": defaultsSummary.isEmpty ? "none" : defaultsSummary,
            "title": offer.name, "section": "dashboard", "currency": currency.code,
            "offer": ["id": offer.id, "name": offer.name, "status": offer.effectiveStatus(at: now).rawValue, "type": Self.typeLabel(offer.type),
                      "payout": Self.payoutText(offer.payout, currency), "is_promo": offer.type == .promoCode,
                      "postback_token": offer.postbackToken ?? ""],
            "kpis": KPI.allCases.map { kpi in
                ["key": kpi.rawValue, "name": Self.kpiLabels[kpi] ?? kpi.rawValue,
                 "value": (kpi.isMoney ? Self.money(kpi.value(sums), currency) + " " + currency.code : Self.count(kpi.value(sums)))]
            },
            "members": members, "member_count": members.count, "columns": columns.map { ["key": $0.rawValue, "label": Self.memberColumnLabels[$0] ?? ""] },
            "choices": MemberColumn.allCases.map { ["key": $0.rawValue, "label": Self.memberColumnLabels[$0] ?? "", "shown": columns.contains($0)] },
            "q": query["q"].map(String.init) ?? "",
            "csv": "/offers/\(offer.id)/members.csv" + (request.uri.query.map { "?" + $0 } ?? ""),
            "can_act": teammate.role.may(.manage), "saved": query["saved"] != nil, "created": query["created"] != nil,
            "sent": query["sent"].map(String.init) ?? "",
        ], context)
    }

    @Sendable func membersCSV(_ request: Request, context: PageContext) async throws -> Response {
        let teammate = try context.team(.read, request)
        let offer = try await offer(context)
        return ReportAPI.csv(try await reports.memberReport(of: offer, memberParameters(request, columns: memberColumns(request, teammate))))
    }

    static func payoutText(_ payout: Payout, _ currency: Currency) -> String {
        switch payout {
        case .flat(let minorUnits): "\(money(minorUnits, currency)) \(currency.code) a sale"
        case .percent(let percent): "\(Decimal2.format(percent.basisPoints))% of each sale"
        }
    }

    static func dates(_ startsAt: Int64?, _ endsAt: Int64?) -> String {
        switch (startsAt, endsAt) {
        case (nil, nil): "always"
        case (let start?, nil): "from \(day(start))"
        case (nil, let end?): "until \(day(end - 1))"
        case (let start?, let end?): "\(day(start)) to \(day(end - 1))"
        }
    }

    // MARK: Add Members: choose projects, confirm members, codes and dates, review, generate, done

    /// Partners of the chosen projects who have no code or link in the offer yet.
    func candidates(for offer: Offer, projects: [UInt32]) async throws -> [Partner] {
        var seen = Set<UInt32>()
        var partners: [Partner] = []
        for id in projects {
            for member in try await store.projectMembers(projectID: id) where seen.insert(member.partner.id).inserted {
                if try await store.member(offerID: offer.id, partnerID: member.partner.id) == nil { partners.append(member.partner) }
            }
        }
        return partners.sorted { $0.name.localizedCaseInsensitiveCompare($1.name) == .orderedAscending }
    }

    @Sendable func addMembersPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let chosen = request.uri.queryParameters.getAll("project").compactMap { UInt32(String($0)) }
        let projects = try await store.projects(afterID: 0, limit: 1000)
        var values: [String: Any] = [
            "title": "Add Members to \(offer.name)", "section": "dashboard", "offer": ["id": offer.id, "name": offer.name],
            "projects": projects.map { ["id": $0.id, "name": $0.name, "chosen": chosen.contains($0.id)] },
            "is_promo": offer.type == .promoCode,
        ]
        if !chosen.isEmpty {
            let partners = try await candidates(for: offer, projects: chosen)
            values["step_members"] = true
            values["chosen_projects"] = chosen.map { ["id": $0] }
            values["candidates"] = partners.map { partner in
                ["id": partner.id, "name": partner.name, "email": partner.email ?? "no email",
                 "code": offer.type == .promoCode ? PromoCodes.make(offer.promo ?? PromoSettings(), for: partner, attempt: 0) : ""]
            }
            values["none_left"] = partners.isEmpty
        }
        return page("members-add", values, context)
    }

    /// The chosen members, their codes and the dates, checked by the API's rules.
    struct Additions {
        var partners: [Partner]
        var codes: [UInt32: String]
        var terms: MemberTerms
        var startsAt: String
        var endsAt: String
    }

    func additions(_ form: FormFields, offer: Offer) async throws -> Additions {
        let ids = form.ids("partner")
        guard !ids.isEmpty else { throw APIError.invalid("partner", "Choose at least one member.") }
        var partners: [Partner] = []
        var codes: [UInt32: String] = [:]
        for id in ids {
            guard let partner = try await store.partner(id: id) else { throw APIError.invalid("partner", "Partner \(id) does not exist.") }
            partners.append(partner)
            if offer.type == .promoCode, let text = form.text("code_\(id)") {
                codes[id] = try PromoCodes.chosen(text, field: "code_\(id)")
            }
        }
        var input: [String: Any] = ["partner_ids": ids]
        if let start = try FormInput.date(form["starts_at"], field: "starts_at") { input["starts_at"] = start }
        if let end = try FormInput.date(form["ends_at"], field: "ends_at", endOfDay: true) { input["ends_at"] = end }
        let terms = try FormInput.decode(AddMembersInput.self, input).terms()
        // Two members cannot share a code, nor take one that is in use.
        var seen: [String: UInt32] = [:]
        for (id, code) in codes {
            if seen[code] != nil { throw APIError.invalid("code_\(id)", "Two members have the code \(code).") }
            seen[code] = id
        }
        return Additions(partners: partners, codes: codes, terms: terms, startsAt: form["starts_at"] ?? "", endsAt: form["ends_at"] ?? "")
    }

    @Sendable func reviewMembers(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let form = context.form
        do {
            let additions = try await additions(form, offer: offer)
            return page("members-review", [
                "title": "Review the new members", "section": "dashboard", "offer": ["id": offer.id, "name": offer.name],
                "members": additions.partners.map { partner in
                    ["id": partner.id, "name": partner.name, "email": partner.email ?? "no email",
                     "code": additions.codes[partner.id] ?? (offer.type == .promoCode
                        ? PromoCodes.make(offer.promo ?? PromoSettings(), for: partner, attempt: 0) : "its tracking link"),
                     "chosen_code": additions.codes[partner.id] ?? ""]
                },
                "starts_at": additions.startsAt, "ends_at": additions.endsAt,
                "dates": Self.dates(additions.terms.startsAt, additions.terms.endsAt),
                "projects": form.all("project").map { ["id": $0] }, "submission": FormToken.make(),
                "is_promo": offer.type == .promoCode,
            ], context)
        } catch {
            guard let errors = FormInput.errors(error, fallback: "partner") else { throw error }
            // Back to the members step, as the brand left it.
            let projects = form.ids("project")
            let partners = try await candidates(for: offer, projects: projects)
            let chosen = Set(form.ids("partner"))
            return page("members-add", [
                "title": "Add Members to \(offer.name)", "section": "dashboard", "offer": ["id": offer.id, "name": offer.name],
                "projects": try await store.projects(afterID: 0, limit: 1000).map { ["id": $0.id, "name": $0.name, "chosen": projects.contains($0.id)] },
                "step_members": true, "chosen_projects": projects.map { ["id": $0] }, "is_promo": offer.type == .promoCode,
                "candidates": partners.map { partner in
                    ["id": partner.id, "name": partner.name, "email": partner.email ?? "no email", "unchecked": !chosen.contains(partner.id),
                     "code": form["code_\(partner.id)"] ?? "", "code_error": errors["code_\(partner.id)"] ?? ""]
                },
                "starts_at": form["starts_at"] ?? "", "ends_at": form["ends_at"] ?? "",
                "error": errors.filter { !$0.key.hasPrefix("code_") }.values.first ?? (errors.isEmpty ? "" : "A code needs changing: see below."),
            ], context, status: .unprocessableContent)
        }
    }

    @Sendable func generateMembers(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let additions = try await additions(context.form, offer: offer)
        return try await once(context, pending: "/offers/\(offer.id)") {
            let added = try await memberships.add(additions.partners.map(\.id), to: offer, terms: additions.terms, codes: additions.codes)
            return "/offers/\(offer.id)/members/done?" + added.map { "partner=\($0.member.partner.id)" + ($0.created ? "" : "&existing=\($0.member.partner.id)") }
                .joined(separator: "&")
        }
    }

    @Sendable func membersDone(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.read, request)
        let offer = try await offer(context)
        let existing = Set(request.uri.queryParameters.getAll("existing").compactMap { UInt32(String($0)) })
        let link = try await store.links(offerID: offer.id).first
        var members: [[String: Any]] = []
        for id in request.uri.queryParameters.getAll("partner").compactMap({ UInt32(String($0)) }) {
            guard let member = try await store.member(offerID: offer.id, partnerID: id) else { continue }
            members.append(["id": id, "name": member.partner.name, "existing": existing.contains(id),
                            "code": member.promoCode ?? link.map { urls.tracking(link: $0.code, partner: member.partner.code) } ?? "",
                            "dashboard": urls.dashboard(token: member.dashboardToken)])
        }
        return page("members-done", ["title": "Members added", "section": "dashboard", "offer": ["id": offer.id, "name": offer.name],
                                     "members": members], context)
    }

    // MARK: one member

    func member(_ context: PageContext, of offer: Offer) async throws -> Member {
        let id = try Self.id(context, "partner_id")
        guard let member = try await store.member(offerID: offer.id, partnerID: id) else { throw PageError.notFound("That partner is not a member of this offer.") }
        return member
    }

    @Sendable func editMemberPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let member = try await member(context, of: offer)
        let currency = try await store.currency()
        var values: [String: String] = ["starts_at": FormInput.dateField(member.startsAt), "ends_at": FormInput.dateField(member.endsAt, isEnd: true)]
        switch member.payoutOverride {
        case .flat(let minorUnits)?: (values["payout_type"], values["payout_value"]) = ("flat", Money(minorUnits: minorUnits, currency: currency).decimalString)
        case .percent(let percent)?: (values["payout_type"], values["payout_value"]) = ("percent", Decimal2.format(percent.basisPoints))
        case nil: values["payout_type"] = "offer"
        }
        return memberForm(offer, member, FormState(values: values), context, currency: currency)
    }

    func memberForm(_ offer: Offer, _ member: Member, _ state: FormState, _ context: PageContext, currency: Currency,
                    status: HTTPResponse.Status = .ok) -> Response {
        var values = state.context
        values["title"] = "\(member.partner.name) in \(offer.name)"
        values["section"] = "dashboard"
        values["offer"] = ["id": offer.id, "name": offer.name, "payout": Self.payoutText(offer.payout, currency)]
        values["member"] = ["id": member.partner.id, "name": member.partner.name, "code": member.promoCode ?? ""]
        values["currency"] = currency.code
        return page("member-edit", values, context, status: status)
    }

    @Sendable func editMember(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let member = try await member(context, of: offer)
        let form = context.form
        let currency = try await store.currency()
        do {
            var json: [String: Any] = [
                "starts_at": try FormInput.date(form["starts_at"], field: "starts_at") ?? NSNull(),
                "ends_at": try FormInput.date(form["ends_at"], field: "ends_at", endOfDay: true) ?? NSNull(),
            ]
            switch form["payout_type"] {
            case "flat":
                guard let value = try FormInput.money(form["payout_value"], currency: currency, field: "payout_value") else {
                    throw APIError.invalid("payout_value", "Enter the payout per sale.")
                }
                json["payout_override"] = ["type": "flat", "value": value]
            case "percent":
                guard let value = try FormInput.number(form["payout_value"], field: "payout_value") else {
                    throw APIError.invalid("payout_value", "Enter the percent of each sale.")
                }
                json["payout_override"] = ["type": "percent", "value": value]
            default:
                json["payout_override"] = NSNull()
            }
            let input = try FormInput.decode(MemberInput.self, json)
            _ = try await memberships.update(partnerID: member.partner.id, of: offer, refreshCode: false) { member in try input.apply(to: &member) }
            return Renderer.redirect("/offers/\(offer.id)?saved=1")
        } catch {
            guard let errors = FormInput.errors(error, names: ["payout_override": "payout_value", "payout_override.value": "payout_value"],
                                                fallback: "payout_value") else { throw error }
            return memberForm(offer, member, FormState(values: form.values, errors: errors), context, currency: currency,
                              status: .unprocessableContent)
        }
    }

    @Sendable func memberStatus(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let member = try await member(context, of: offer)
        let input = try FormInput.decode(MemberInput.self, ["status": context.form["status"] ?? ""])
        _ = try await memberships.update(partnerID: member.partner.id, of: offer, refreshCode: false) { member in try input.apply(to: &member) }
        return Renderer.redirect("/offers/\(offer.id)")
    }

    @Sendable func refreshCode(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let member = try await member(context, of: offer)
        return try await once(context, pending: "/offers/\(offer.id)") {
            _ = try await memberships.update(partnerID: member.partner.id, of: offer, refreshCode: true) { _ in }
            return "/offers/\(offer.id)?saved=1"
        }
    }

    @Sendable func removeMember(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let member = try await member(context, of: offer)
        try await store.removeMember(offerID: offer.id, partnerID: member.partner.id)
        return Renderer.redirect("/offers/\(offer.id)?saved=1")
    }

    // MARK: Email Members

    static let defaultSubject = "Your {{#promo_code}}code{{/promo_code}}{{^promo_code}}link{{/promo_code}} for {{offer}}"

    static func defaultBody(_ offer: Offer) -> String {
        """
        Hi {{name}},

        \(offer.type == .promoCode ? "Your promo code is {{promo_code}}." : "Your link is {{tracking_url}}")
        {{#starts_at}}It works from {{starts_at}}{{#ends_at}} until {{ends_at}}{{/ends_at}}.{{/starts_at}}{{^starts_at}}{{#ends_at}}It works until {{ends_at}}.{{/ends_at}}{{/starts_at}}

        Follow your sales and commission on your dashboard: {{dashboard_url}}

        Thank you!
        """
    }

    @Sendable func emailPage(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let chosen = request.uri.queryParameters.getAll("partner").compactMap { UInt32(String($0)) }
        return try await emailForm(offer, state: FormState(values: [
            "subject": Self.defaultSubject.replacingOccurrences(of: "{{offer}}", with: offer.name), "body": Self.defaultBody(offer),
        ]), partners: chosen, preview: nil, context)
    }

    func emailForm(_ offer: Offer, state: FormState, partners: [UInt32], preview: (index: Int, messages: [MemberEmails.Message])?,
                   _ context: PageContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        var values = state.context
        values["title"] = "Email Members of \(offer.name)"
        values["section"] = "dashboard"
        values["offer"] = ["id": offer.id, "name": offer.name]
        values["fields"] = MemberEmail.fields.map { ["tag": "{{" + $0 + "}}"] }
        values["partners"] = partners.map { ["id": $0] }
        values["recipients"] = partners.isEmpty ? "every active member" : "\(partners.count) chosen member\(partners.count == 1 ? "" : "s")"
        values["submission"] = FormToken.make()
        if let preview, !preview.messages.isEmpty {
            let index = min(max(0, preview.index), preview.messages.count - 1)
            let message = preview.messages[index]
            values["preview"] = [
                "to": message.partner.email ?? "(no email: not sent)", "name": message.partner.name, "subject": message.subject,
                "body": message.body, "position": index + 1, "count": preview.messages.count,
                "previous": index > 0 ? index - 1 : -1, "next": index + 1 < preview.messages.count ? index + 1 : -1,
                "has_previous": index > 0, "has_next": index + 1 < preview.messages.count,
            ]
        }
        return page("email", values, context, status: status)
    }

    @Sendable func emailMembers(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.manage, request)
        let offer = try await offer(context)
        let form = context.form
        let partners = form.ids("partner")
        let sending = form["action"] == "send"
        do {
            let template: MemberEmail
            do {
                template = try MemberEmail(subject: form["subject"] ?? "", body: form["body"] ?? "")
            } catch {
                throw APIError.invalid(error.field, error.message)
            }
            if !sending {
                let messages = try await emails.toMembers(of: offer.id, partnerIDs: partners.isEmpty ? nil : partners, template: template, preview: true)
                guard !messages.isEmpty else { throw APIError.invalid("body", "The offer has no active member to write to.") }
                return try await emailForm(offer, state: FormState(values: form.values), partners: partners,
                                           preview: (Int(form["index"] ?? "0") ?? 0, messages), context)
            }
            return try await once(context, pending: "/offers/\(offer.id)") {
                let sent = try await emails.toMembers(of: offer.id, partnerIDs: partners.isEmpty ? nil : partners, template: template, preview: false)
                return "/offers/\(offer.id)?sent=\(sent.filter { $0.status == .queued }.count)"
            }
        } catch {
            guard let errors = FormInput.errors(error, fallback: "body") else { throw error }
            return try await emailForm(offer, state: FormState(values: form.values, errors: errors), partners: partners, preview: nil, context,
                                       status: .unprocessableContent)
        }
    }
}
