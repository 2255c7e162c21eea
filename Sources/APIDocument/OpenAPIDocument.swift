import Domain
import Foundation

/// The OpenAPI 3 description of the admin port's HTTP API, served at
/// `/openapi.json`. A test holds it to the router: every route is documented
/// and every documented operation is routed.
public enum OpenAPIDocument {
    /// The document as JSON bytes, built once.
    public static let json: [UInt8] = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(document)) ?? Data())
    }()

    static var document: JSON {
        [
            "openapi": "3.0.3",
            "info": [
                "title": "Clickline",
                "version": "1",
                "description": .string("""
                    The admin, partner and ops API of Clickline. Admin endpoints need `Authorization: Bearer <admin key>`; \
                    ops endpoints an ops or admin key; partner endpoints a partner token. Amounts are integers in minor \
                    units, times RFC 3339 strings, lists `{"items", "next_cursor"}`, errors `{"error": {"code", "message", "field"}}`.
                    """),
            ],
            "components": ["securitySchemes": securitySchemes, "schemas": schemas],
            "paths": .object(paths),
        ]
    }

    // MARK: operations

    enum Access { case none, admin, ops, partner }

    static var paths: [String: JSON] {
        var paths: [String: [String: JSON]] = [:]
        /// - Parameters:
        ///   - status: the status of success; `alsoStatus` another one with the same answer.
        ///   - errors: statuses particular to this operation, beyond those its access, body, query and path bring.
        func add(_ method: String, _ path: String, _ summary: String, access: Access, query: [JSON] = [], body: String? = nil,
                 status: Int = 200, alsoStatus: (Int, String)? = nil, errors: [Int: String] = [:], answer: JSON? = nil,
                 content: String = "application/json") {
            var parameters: [JSON] = []
            for name in ["id", "partner_id", "stage_id", "link_id"] where path.contains("{\(name)}") {
                parameters.append(["name": .string(name), "in": "path", "required": true, "schema": ["type": "integer"]])
            }
            if path.contains("{click_id}") {
                parameters.append(["name": "click_id", "in": "path", "required": true,
                                   "schema": ["type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"],
                                   "description": "the click id of the redirect's clk parameter (26 characters)"])
            }
            if path.contains("{token}") {
                parameters.append(["name": "token", "in": "path", "required": true, "schema": ["type": "string"],
                                   "description": "the member's dashboard token (cld_...)"])
            }
            parameters += query
            var responses: [String: JSON] = [:]
            if let answer {
                responses[String(status)] = ["description": "OK", "content": [content: ["schema": answer]]]
            } else {
                responses[String(status)] = ["description": "OK"]
            }
            if let (other, description) = alsoStatus {
                responses[String(other)] = answer.map { ["description": .string(description), "content": [content: ["schema": $0]]] }
                    ?? ["description": .string(description)]
            }
            if access != .none {
                responses["401"] = errorResponse("no valid key or token")
                responses["403"] = errorResponse("the key or token may not do this")
            }
            if body != nil || ["POST", "PUT", "PATCH"].contains(method) {
                responses["400"] = errorResponse("the body is not JSON of the right shape; `field` names what is wrong")
                responses["413"] = errorResponse("the body is over 1 MiB")
                responses["422"] = errorResponse("a value is not acceptable; `field` names it")
            }
            if access != .none && method != "GET" {
                responses["409"] = errorResponse("it conflicts with what is stored: a code or name taken, or a state that does not allow it")
            }
            if !query.isEmpty {
                responses["422"] = responses["422"] ?? errorResponse("a query parameter is not acceptable; `field` names it")
            }
            if path.contains("{") {
                // Pages answer a page, not JSON, for what they cannot find.
                responses["404"] = content == "text/html"
                    ? ["description": "no such page", "content": ["text/html": ["schema": ["type": "string"]]]]
                    : errorResponse("no such object")
            }
            for (code, description) in errors { responses[String(code)] = errorResponse(description) }
            var operation: [String: JSON] = ["summary": .string(summary), "responses": .object(responses)]
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
            if let body {
                operation["requestBody"] = ["required": true, "content": ["application/json": ["schema": ref(body)]]]
            }
            switch access {
            case .none: operation["security"] = []
            case .admin: operation["security"] = [["adminKey": []]]
            case .ops: operation["security"] = [["adminKey": []], ["opsKey": []]]
            case .partner: operation["security"] = [["partnerToken": []]]
            }
            paths[path, default: [:]][method.lowercased()] = .object(operation)
        }
        let paging: [JSON] = [["name": "limit", "in": "query", "required": false, "description": "default 100",
                               "schema": ["type": "integer", "minimum": 1, "maximum": 1000]],
                              queryParameter("cursor", "`next_cursor` of the previous page")]

        add("GET", "/healthz", "Liveness: 200 while the process runs", access: .none, answer: ["type": "string"], content: "text/plain")
        add("GET", "/readyz", "Readiness: 200 once the edge answers and the store is reachable", access: .none,
            answer: ["type": "string"], content: "text/plain")
        add("GET", "/openapi.json", "This document", access: .none, answer: ["type": "object"])
        add("GET", "/metrics", "Prometheus metrics", access: .ops, answer: ["type": "string"], content: "text/plain")
        add("GET", "/v1/ops/live", "Live clicks per second, totals, top offers and partners, per-worker state", access: .ops,
            answer: ref("LiveReport"))

        add("POST", "/v1/offers", "Create an offer", access: .admin, body: "OfferInput", status: 201, answer: ref("Offer"))
        add("GET", "/v1/offers", "List offers", access: .admin, query: paging + [
            queryParameter("status", "active, paused, archived or expired"), queryParameter("type", "link or promo_code"),
            queryParameter("q", "part of the name"),
        ], answer: page("Offer"))
        add("GET", "/v1/offers/{id}", "An offer", access: .admin, answer: ref("Offer"))
        add("PATCH", "/v1/offers/{id}", "Change the fields sent; null clears one that may be empty", access: .admin,
            body: "OfferInput", answer: ref("Offer"))
        add("POST", "/v1/offers/{id}/postback-token", "Replace the offer's postback token", access: .admin, answer: ref("Offer"))
        add("POST", "/v1/offers/{id}/links", "Create a tracking link", access: .admin, body: "LinkInput", status: 201, answer: ref("Link"))
        add("GET", "/v1/offers/{id}/links", "The offer's tracking links", access: .admin, answer: page("Link"))
        add("GET", "/v1/offers/{id}/links/{link_id}", "A tracking link", access: .admin, answer: ref("Link"))
        add("PATCH", "/v1/offers/{id}/links/{link_id}", "Change what a tracking link does", access: .admin,
            body: "LinkUpdate", answer: ref("Link"))
        add("POST", "/v1/offers/{id}/members", "Add partners as members: each gets its link or promo code and dashboard URL; "
            + "one who is a member already keeps them and is reported `existing`", access: .admin, body: "AddMembersInput",
            status: 201, alsoStatus: (200, "every partner was a member already"),
            answer: ["type": "object", "properties": ["members": ["type": "array", "items": ref("Member")]]])
        add("GET", "/v1/offers/{id}/members", "Members of the offer", access: .admin,
            query: paging + [queryParameter("q", "part of the member's name or promo code")], answer: page("Member"))
        add("GET", "/v1/offers/{id}/members/{partner_id}", "A member", access: .admin, answer: ref("Member"))
        add("PATCH", "/v1/offers/{id}/members/{partner_id}", "Change a member", access: .admin, body: "MemberInput", answer: ref("Member"))
        add("DELETE", "/v1/offers/{id}/members/{partner_id}", "Remove a member", access: .admin, status: 204)

        add("POST", "/v1/partners", "Create a partner; the answer holds its API token, shown only this once", access: .admin,
            body: "PartnerInput", status: 201, answer: ref("Partner"))
        add("GET", "/v1/partners", "List partners", access: .admin, query: paging + [
            queryParameter("q", "part of the name, email or code"), queryParameter("parent_id", "children of this partner", type: "integer"),
        ], answer: page("Partner"))
        add("GET", "/v1/partners/{id}", "A partner", access: .admin, answer: ref("Partner"))
        add("PATCH", "/v1/partners/{id}", "Change a partner", access: .admin, body: "PartnerInput", answer: ref("Partner"))
        add("POST", "/v1/partners/{id}/token", "Issue a new partner token; the old one stops working", access: .admin, status: 201,
            answer: ref("Partner"))
        add("GET", "/v1/partners/{id}/ads", "A partner's ads", access: .admin, answer: page("Ad"))
        add("POST", "/v1/stores", "Register a Shopify store", access: .admin, body: "StoreInput", status: 201, answer: ref("Store"))
        add("GET", "/v1/stores", "Shopify stores", access: .admin, answer: page("Store"))

        add("GET", "/v1/partner/me", "The partner, its parent and its children", access: .partner, answer: ref("Me"))
        add("GET", "/v1/partner/links", "My sales websites: links of offers I am an active member of", access: .partner,
            answer: page("PartnerLink"))
        add("GET", "/v1/partner/children", "My referral partners", access: .partner, answer: page("Partner"))
        add("POST", "/v1/partner/ads", "Create an ad; it gets a code for tracking URLs", access: .partner, body: "AdInput", status: 201,
            answer: ref("Ad"))
        add("GET", "/v1/partner/ads", "My ads, or with partner_code those of a direct child", access: .partner,
            query: [queryParameter("partner_code", "myself or a direct child")], answer: page("Ad"))
        add("POST", "/v1/partner/links/generate", "The tracking URL of a link for me or a direct child, with one of my ads",
            access: .partner, body: "GenerateInput", answer: ref("Generated"))
        add("GET", "/v1/partner/stats", "Click statistics from the per-minute rollups", access: .partner, query: [
            queryParameter("from", "RFC 3339; default 30 days before `to`"), queryParameter("to", "RFC 3339; default now"),
            queryParameter("by", "comma-separated: link, ad, child"), queryParameter("partner_code", "myself or a direct child"),
        ], answer: ref("Stats"))

        let postbackQuery: [JSON] = [
            queryParameter("token", "the offer's postback token (or the X-Clickline-Token header)"),
            queryParameter("clk", "the click id the destination received"),
            queryParameter("order_id", "the order's id: 1 to 128 visible ASCII characters; unique per offer"),
            queryParameter("amount", "the sale amount as a decimal string in the major unit, like 49.90"),
            queryParameter("currency", "ISO 4217; must be the workspace's currency"),
            queryParameter("event", "a name for the event, like sale"),
            queryParameter("customer_email", "the customer's email: compared with the credited partner's and kept only as a hash"),
        ]
        for method in ["GET", "POST"] {
            add(method, "/v1/postback", "Server-to-server postback: record a conversion (201), or return the one recorded for this order (200)",
                access: .none, query: postbackQuery, status: 201, alsoStatus: (200, "the conversion recorded before for this order"),
                errors: [401: "the offer's postback token is missing or wrong"], answer: ref("Conversion"))
        }
        add("POST", "/v1/webhooks/shopify/{id}", "Shopify order webhook, signed with X-Shopify-Hmac-Sha256 (401 when the signature is "
            + "missing or wrong); repeated deliveries change nothing", access: .none, body: "ShopifyOrder",
            answer: ["oneOf": [ref("Conversion"), object(["status": enumeration(["ignored"]), "reason": string])]])
        add("GET", "/v1/conversions", "List conversions", access: .admin, query: paging + [
            queryParameter("offer_id", "conversions of this offer", type: "integer"),
            queryParameter("partner_id", "conversions credited to this partner", type: "integer"),
            queryParameter("status", "accepted or reversed"), queryParameter("review", "held, approved or rejected"),
            queryParameter("from", "RFC 3339, inclusive"), queryParameter("to", "RFC 3339, exclusive"),
        ], answer: page("Conversion"))
        add("GET", "/v1/conversions/{id}", "A conversion with its commissions and attribution record", access: .admin, answer: ref("Conversion"))
        add("POST", "/v1/conversions/{id}/reverse", "Reverse a conversion (a refund): unpaid commissions are reversed, paid ones "
            + "get a negative line", access: .admin, answer: ref("Conversion"))
        add("GET", "/v1/reports/quality", "Per partner over the range: clicks and invalid ones (bots, address caps, hosting networks), "
            + "flagged conversions, orders on its leaked codes, commission held for review; format=csv gives a download",
            access: .admin, query: [
                queryParameter("range", "last_6_months (default), month_to_date or last_30_days"), queryParameter("from", "a date, YYYY-MM-DD"),
                queryParameter("to", "a date, YYYY-MM-DD, included"), queryParameter("project_id", "only the offers of this project", type: "integer"),
                queryParameter("format", "json (default) or csv"),
            ], answer: ref("QualityReport"))
        add("GET", "/v1/clicks", "Stored clicks with their quality flags, in the order they were stored; a page may hold fewer "
            + "than limit clicks while next_cursor is not null", access: .admin, query: paging + [
                queryParameter("from", "a date, YYYY-MM-DD, or an RFC 3339 time; every stored click by default"),
                queryParameter("to", "a date, YYYY-MM-DD, included, or an RFC 3339 time, excluded"),
                queryParameter("offer_id", "clicks of this offer", type: "integer"),
                queryParameter("partner_id", "clicks credited to this partner", type: "integer"),
                queryParameter("link_id", "clicks of this tracking link", type: "integer"),
                queryParameter("outcome", "billable, unattributed, inactive, bot, capped, expired or invalid"),
                queryParameter("flagged", "true: only clicks with a quality flag"),
            ], answer: page("Click"))
        add("GET", "/v1/clicks/{click_id}", "A stored click with its quality flags; 404 until the click is written (about a second)",
            access: .admin, answer: ref("Click"))
        add("GET", "/v1/review", "The review queue: held conversions, oldest first; their commissions are never due until approved",
            access: .admin, query: paging, answer: page("Conversion"))
        add("POST", "/v1/conversions/{id}/approve", "Approve a held or rejected conversion: its lines earn as any other "
            + "(pending through the offer's hold days); logged with the reason; 409 when there is nothing to approve",
            access: .admin, body: "ReviewInput", answer: ref("Conversion"))
        add("POST", "/v1/conversions/{id}/reject", "Reject a conversion: its unpaid lines earn nothing (an approval brings them back); "
            + "logged with the reason; 409 when already rejected, reversed, or a line is paid (reverse it instead)",
            access: .admin, body: "ReviewInput", answer: ref("Conversion"))
        add("GET", "/v1/payments/due", "What is due per partner; format=csv gives the payout file", access: .admin, query: [
            queryParameter("offer_id", "only this offer's commissions", type: "integer"),
            queryParameter("partner_ids", "comma-separated partner ids"), queryParameter("format", "json (default) or csv"),
        ], answer: ref("PaymentsDue"))
        add("POST", "/v1/payments", "Pay everything due (optionally for one offer or some partners): one payment per partner, "
            + "its commissions marked paid in the same transaction", access: .admin, body: "PayInput", status: 201,
            alsoStatus: (200, "nothing was due: no payment made"), answer: page("Payment"))
        add("GET", "/v1/payments", "Payments made; format=csv for a file", access: .admin, query: paging + [
            queryParameter("partner_id", "payments to this partner", type: "integer"), queryParameter("format", "json (default) or csv"),
        ], answer: page("Payment"))

        let reportQuery: [JSON] = [
            queryParameter("range", "last_6_months (default), month_to_date or last_30_days"),
            queryParameter("from", "a date (2026-06-01) or an RFC 3339 time; with to, instead of range"),
            queryParameter("to", "a date (the whole day counts) or an RFC 3339 time; default now"),
            queryParameter("status", "offers that are active, paused, archived or expired"), queryParameter("type", "link or promo_code"),
            queryParameter("project_id", "the offers of a project's stages", type: "integer"),
            queryParameter("min_<kpi>", "leave out offers below this value of a KPI (min_clicks, min_conversions...)", type: "integer"),
            queryParameter("max_<kpi>", "leave out offers above it", type: "integer"),
        ]
        let tableQuery: [JSON] = [
            queryParameter("columns", "comma-separated KPIs to include; all by default"),
            queryParameter("sort", "a column, or -column for descending"), queryParameter("format", "json (default) or csv (a download)"),
        ]
        add("GET", "/v1/reports/summary", "Every KPI of the brand over a range, with its definition", access: .admin, query: reportQuery,
            answer: ref("Summary"))
        add("GET", "/v1/reports/offers", "The KPIs per offer", access: .admin,
            query: reportQuery + tableQuery + [queryParameter("q", "part of the offer's name")], answer: ref("Report"))
        add("GET", "/v1/reports/offers/{id}/members", "Clicks, conversions, sales, commissions, paid and due per member of an offer",
            access: .admin, query: reportQuery + tableQuery + [queryParameter("q", "part of the member's name or promo code")],
            answer: ref("Report"))
        add("GET", "/v1/reports/links/{id}/variants",
            "Per rule and variant of a link, over all time: clicks, unique clicks, conversions, sales (minor units) and "
                + "the conversion rate (conversions per click) with its 95% Wilson interval",
            access: .admin, answer: ref("VariantReport"))
        add("GET", "/v1/reports/clicks",
            "Clicks, billable clicks and conversions by country or by device class, over the range's whole UTC days; a visitor "
                + "is of several device classes at once (ios and mobile), so device rows overlap",
            access: .admin,
            query: [["name": "by", "in": "query", "required": true, "description": "country or device",
                     "schema": enumeration(["country", "device"])]] + reportQuery.prefix(3) + [reportQuery[5]],
            answer: ref("TrafficReport"))

        add("POST", "/v1/projects", "Create a project with its stages, in order", access: .admin, body: "ProjectInput", status: 201,
            answer: ref("Project"))
        add("GET", "/v1/projects", "Projects, each with its stages and their member counts", access: .admin, query: paging,
            answer: page("Project"))
        add("GET", "/v1/projects/{id}", "A project: its stages in order, each with its members", access: .admin, answer: ref("Project"))
        add("POST", "/v1/projects/{id}/stages", "Add a stage at a position (last when absent)", access: .admin, body: "StageInput",
            status: 201, answer: ref("Stage"))
        add("PATCH", "/v1/projects/{id}/stages/{stage_id}", "Rename a stage, set up its offer, or move it to another position",
            access: .admin, body: "StagePatch", answer: ref("Stage"))
        add("DELETE", "/v1/projects/{id}/stages/{stage_id}", "Delete a stage; its members move to the stage after it (before it when "
            + "it was the last); 409 for a project's only stage while it has members", access: .admin, answer: ref("StageDeletion"))
        add("POST", "/v1/projects/{id}/members", "Partners enter the project's first stage (those in it already stay where they are)",
            access: .admin, body: "PartnerIDs", status: 201, alsoStatus: (200, "every partner was in the project already"),
            answer: object(["members": ["type": "array", "items": ref("ProjectMember")]]))
        add("POST", "/v1/projects/{id}/members/move", "Move members of the project to one of its stages", access: .admin,
            body: "MoveInput", answer: object(["members": ["type": "array", "items": ref("ProjectMember")]]))
        add("POST", "/v1/projects/{id}/stages/{stage_id}/generate", "Make the link or promo code of the stage's members (all, or "
            + "those named), joining them to the offer, and move them to the next stage", access: .admin, body: "GenerateMembersInput",
            status: 201, alsoStatus: (200, "every member had its link or code already (moved on all the same)"),
            answer: object(["members": ["type": "array", "items": ref("Generation")]]))
        add("POST", "/v1/projects/{id}/stages/{stage_id}/emails", "Email the stage's members (all, or those named): preview or queue",
            access: .admin, body: "EmailInput", status: 201, alsoStatus: (200, "nothing was queued: a preview, or no member could get one"), answer: ref("Messages"))
        add("POST", "/v1/offers/{id}/emails", "Email the offer's members (the active ones, or those named): preview or queue",
            access: .admin, body: "EmailInput", status: 201, alsoStatus: (200, "nothing was queued: a preview, or no member could get one"), answer: ref("Messages"))
        add("GET", "/v1/outbox", "Every email and where it stands", access: .admin, query: paging + [
            queryParameter("status", "queued, sent or failed"), queryParameter("partner_id", "one partner's", type: "integer"),
        ], answer: page("OutboxMessage"))

        add("POST", "/v1/webhooks", "Create a webhook endpoint; its secret (whsec_...) is in this answer only", access: .admin,
            body: "WebhookInput", status: 201, answer: ref("WebhookEndpoint"))
        add("GET", "/v1/webhooks", "Every webhook endpoint, without secrets", access: .admin, answer: page("WebhookEndpoint"))
        add("GET", "/v1/webhooks/{id}", "One webhook endpoint, without its secret", access: .admin, answer: ref("WebhookEndpoint"))
        add("PATCH", "/v1/webhooks/{id}", "Change its URL, event types or status (active again: what waited is sent)", access: .admin,
            body: "WebhookChange", answer: ref("WebhookEndpoint"))
        add("DELETE", "/v1/webhooks/{id}", "Delete an endpoint, its deliveries and its log", access: .admin, status: 204)
        add("POST", "/v1/webhooks/{id}/rotate", "A new secret, in this answer only; the old one also signs for 24 hours", access: .admin,
            answer: ref("WebhookEndpoint"))
        add("POST", "/v1/webhooks/{id}/test", "Send a webhook.test event to this endpoint", access: .admin, status: 202,
            answer: object(["event_id": string]))
        add("GET", "/v1/webhooks/{id}/deliveries", "The delivery log, newest first: each attempt's status, latency and first KiB of answer",
            access: .admin, query: paging, answer: page("DeliveryAttempt"))
        add("POST", "/v1/webhooks/{id}/replay", "Send again one event, or the events of a time range that the endpoint asks for",
            access: .admin, body: "ReplayInput", status: 202, answer: object(["queued": int]))

        add("PUT", "/v1/partner/postback", "Set the partner's postback: a URL template its tracker is called at, on each conversion credited to it and each reversal",
            access: .partner, body: "PostbackInput", answer: ref("Postback"))
        add("GET", "/v1/partner/postback", "The partner's postback", access: .partner, errors: [404: "no postback is set"], answer: ref("Postback"))
        add("GET", "/v1/partner/postback/deliveries", "The postback's delivery log, newest first", access: .partner, query: paging,
            errors: [404: "no postback is set"], answer: page("DeliveryAttempt"))
        add("GET", "/v1/partners/{id}/postback", "A partner's postback", access: .admin, answer: ref("Postback"))
        add("PATCH", "/v1/partners/{id}/postback", "Switch a partner's postback on or off; off stays off whatever the partner sets",
            access: .admin, body: "PostbackStatus", answer: ref("Postback"))

        add("GET", "/v1/dashboard/{token}", "A member's own dashboard (the page /p/{token} shows it): code or link, commission structure, conversions, payments", access: .none, answer: ref("MemberDashboard"))
        add("GET", "/v1/ops/live/stream", "/v1/ops/live every second as Server-Sent Events (event: live); a key or a session",
            access: .ops, answer: ["type": "string", "description": "event: live, data: a LiveReport"], content: "text/event-stream")
        return paths.mapValues { .object($0) }
    }

    // MARK: schemas

    static var schemas: JSON {
        let time: JSON = ["type": "string", "format": "date-time"]
        let nullableTime: JSON = ["type": "string", "format": "date-time", "nullable": true]
        let name: JSON = [
            "type": "string", "minLength": 1, "maxLength": 200, "description": "visible text, at most 200 bytes of UTF-8, trimmed",
            "pattern": "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$",
        ]
        let code: JSON = ["type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"]
        let eventTypes = enumeration(EventType.subscribable.map(\.rawValue))
        let url: JSON = ["type": "string", "format": "uri", "description": "an absolute http or https URL of visible ASCII"]
        let counts: [String: JSON] = ["clicks": int, "billable": int, "unique": int, "bot": int, "unattributed": int, "inactive": int,
                                      "capped": int, "expired": int, "invalid": int]
        return [
            "Error": object(["error": object(["code": string, "message": string, "field": nullable(string)], required: ["code", "message"])]),
            "Payout": object([
                "type": enumeration(["flat", "percent"]),
                "value": ["type": "number", "description": "flat: minor units (integer); percent: 0 to 100, two decimals"],
            ], required: ["type", "value"]),
            "Promo": object([
                "group_name": nullable(string),
                "naming": object([
                    "strategy": enumeration(["name_discount", "random", "custom"]), "prefix": nullable(string),
                    "length": ["type": "integer", "minimum": 4, "maximum": 16],
                ]),
                "discount": object(["type": enumeration(["percent", "amount"]), "value": int]),
                "restrictions": object(["min_purchase": int, "once_per_customer": bool, "new_customers_only": bool]),
                "usage_limit_per_code": ["type": "integer", "minimum": 1, "nullable": true],
            ]),
            "OfferInput": object([
                "name": name, "description": string, "type": enumeration(["link", "promo_code"]),
                "status": enumeration(["active", "paused", "archived"]), "payout": ref("Payout"),
                "parent_override_percent": ["type": "number", "minimum": 0, "maximum": 100, "nullable": true],
                "attribution_window_days": ["type": "integer", "minimum": 1, "maximum": 3650],
                "credit_policy": enumeration(["code_first", "click_first"]),
                "hold_days": ["type": "integer", "minimum": 0, "maximum": 3650],
                "leaked_code_policy": ["type": "string", "enum": ["credit", "hold", "no_commission"],
                                       "description": .string("What flagged orders earn: credit (the default; flagged only), hold (every flagged "
                                           + "conversion waits in the review queue) or no_commission (orders on a leaked code after its flag earn nothing)")],
                "starts_at": nullableTime, "ends_at": nullableTime, "destination_url": url, "fallback_url": url,
                "click_param": code, "promo": ref("Promo"),
                "rules": ["type": "array", "maxItems": 32, "items": ref("LinkRule"), "nullable": true],
                "caps": ["type": "array", "maxItems": 4, "items": ref("LinkCap"), "nullable": true],
                "expires_at": nullableTime, "expired_url": nullable(url),
            ], description: "name and payout are required to create; PATCH changes only the fields sent. rules, caps and "
                + "expires_at (with expired_url) are defaults for the offer's links: a link with rules, caps or expires_at "
                + "of its own uses its own instead, each of the three whole; an inherited cap counts each link apart"),
            "Offer": object([
                "id": int, "name": string, "description": string, "type": enumeration(["link", "promo_code"]),
                "status": enumeration(["active", "paused", "archived", "expired"]), "payout": ref("Payout"),
                "parent_override_percent": ["type": "number", "nullable": true], "attribution_window_days": int,
                "credit_policy": enumeration(["code_first", "click_first"]), "hold_days": int,
                "leaked_code_policy": enumeration(["credit", "hold", "no_commission"]), "starts_at": nullableTime,
                "ends_at": nullableTime, "destination_url": nullable(url), "fallback_url": nullable(url), "click_param": string,
                "promo": nullable(ref("Promo")), "postback_token": string,
                "rules": ["type": "array", "items": ref("LinkRule")], "caps": ["type": "array", "items": ref("LinkCap")],
                "expires_at": nullableTime, "expired_url": nullable(url), "created_at": time, "updated_at": time,
            ], required: ["id", "name", "type", "status", "payout", "postback_token"]),
            "RuleCondition": object([
                "type": enumeration(["device", "browser", "country", "language", "partner", "ip", "query", "before", "after"]),
                "in": ["type": "array", "minItems": 1, "maxItems": 64, "items": string,
                       "description": .string("device: ios, android, mobile, tablet, desktop, windows, macos, linux, chromeos; "
                           + "browser: chrome, safari, firefox, edge, samsung, instagram, facebook, tiktok; country: ISO 3166-1 "
                           + "alpha-2; language: BCP 47 primary tags; partner: partner codes; ip: addresses or CIDR ranges")],
                "param": ["type": "string", "description": "query: the parameter that must be present"],
                "equals": ["type": "string", "description": "query: the value it must have"],
                "at": time,
            ], required: ["type"], description: "device, browser, country, language, partner and ip take \"in\"; "
                + "query takes \"param\" (and \"equals\"); before and after take \"at\". Country conditions never hold "
                + "without a country database."),
            "SplitVariant": object(["destination_url": url, "weight": ["type": "integer", "minimum": 1, "maximum": 100]],
                                   required: ["destination_url", "weight"]),
            "LinkRule": object([
                "name": string, "if": ["type": "array", "items": ref("RuleCondition")], "destination_url": url,
                "split": ["type": "array", "minItems": 2, "maxItems": 10, "items": ref("SplitVariant")],
            ], description: "All conditions in \"if\" must hold; then destination_url, or split (weights summing to 100). "
                + "The first rule that matches wins."),
            "TrafficReport": object([
                "by": enumeration(["country", "device"]), "range": ref("Range"),
                "items": ["type": "array", "items": object([
                    "country": nullable(string), "device": nullable(string), "clicks": int, "billable": int, "conversions": int,
                ], description: "country (ISO 3166-1 alpha-2) or device (a device class), as asked; null when not known")],
            ]),
            "LinkCap": object([
                "scope": enumeration(["link", "partner"]), "period": enumeration(["day", "total"]),
                "max_clicks": ["type": "integer", "minimum": 1, "maximum": 1_000_000_000_000], "fallback_url": nullable(url),
            ], required: ["scope", "period", "max_clicks"],
               description: "At most max_clicks clicks a UTC day or in total, for the whole link or per credited partner; past it, "
                + "a click goes to fallback_url (else the offer's fallback_url) with its click id, recorded as capped, not billable. "
                + "One cap per scope and period."),
            "VariantReport": object([
                "link_id": int, "currency": string,
                "items": ["type": "array", "items": object([
                    "rule": int, "rule_name": nullable(string), "variant": int, "destination_url": nullable(url),
                    "clicks": int, "unique_clicks": int, "conversions": int, "total_sales": int,
                    "conversion_rate": number, "conversion_rate_low": number, "conversion_rate_high": number,
                ])],
            ]),
            "LinkInput": object(["code": code, "destination_url": url, "expires_at": time, "expired_url": url,
                                 "rules": ["type": "array", "maxItems": 32, "items": ref("LinkRule")],
                                 "caps": ["type": "array", "maxItems": 4, "items": ref("LinkCap")]], required: ["code"],
                                description: "destination_url defaults to the offer's; from expires_at on the link sends shoppers "
                                    + "to expired_url, else to the offer's fallback_url (expired_url needs expires_at)"),
            "LinkUpdate": object(["code": code, "destination_url": url, "expires_at": nullableTime, "expired_url": nullable(url),
                                  "rules": ["type": "array", "maxItems": 32, "items": ref("LinkRule"), "nullable": true],
                                  "caps": ["type": "array", "maxItems": 4, "items": ref("LinkCap"), "nullable": true]],
                                 description: "changes only the fields sent; null clears the expiry, rules or caps. The code "
                                    + "cannot change (it is in URLs already shared). A cap changed in place keeps the clicks "
                                    + "counted against it"),
            "Link": object(["id": int, "offer_id": int, "code": string, "destination_url": url, "expires_at": nullableTime,
                            "expired_url": nullable(url), "rules": ["type": "array", "items": ref("LinkRule")],
                            "caps": ["type": "array", "items": ref("LinkCap")], "created_at": time]),
            "PartnerInput": object([
                "name": name, "email": ["type": "string", "format": "email"], "code": code,
                "parent_id": ["type": "integer", "nullable": true], "status": enumeration(["active", "inactive"]),
            ], description: "name and code are required to create"),
            "Partner": object([
                "id": int, "name": string, "email": nullable(string), "code": string, "parent_id": ["type": "integer", "nullable": true],
                "status": enumeration(["active", "inactive"]), "created_at": time,
                "token": ["type": "string", "description": "only when the partner is created or its token replaced"],
            ], required: ["id", "name", "code", "status"]),
            "AddMembersInput": object([
                "partner_ids": ["type": "array", "items": int, "minItems": 1], "payout_override": ref("Payout"),
                "starts_at": time, "ends_at": time,
            ], required: ["partner_ids"]),
            "MemberInput": object([
                "status": enumeration(["active", "inactive"]), "payout_override": nullable(ref("Payout")), "refresh_code": bool,
                "starts_at": nullableTime, "ends_at": nullableTime,
            ]),
            "Member": object([
                "offer_id": int, "partner_id": int, "name": string, "email": nullable(string), "partner_code": string,
                "status": ["type": "string", "description": "active or inactive; created or existing when adding members"],
                "payout_override": nullable(ref("Payout")), "starts_at": nullableTime, "ends_at": nullableTime,
                "promo_code": nullable(string), "promo_uses": int, "tracking_url": nullable(string), "dashboard_url": string,
                "created_at": time,
                "promo_code_status": ["type": "string", "enum": ["active", "leaked", "replaced"],
                                      "description": "Members of promo-code offers only: leaked when the code is found where it should not be"],
                "leak": nullable(ref("PromoCodeLeak")),
                "previous_codes": ["type": "array", "items": object([
                    "code": string, "promo_code_status": enumeration(["replaced"]), "replaced_at": time,
                    "leak": nullable(ref("PromoCodeLeak")),
                ]), "description": "Members of promo-code offers only: the codes given up for new ones, newest first; they credit nobody"],
            ]),
            "PromoCodeLeak": object([
                "flagged_at": time, "reasons": ["type": "array", "items": enumeration(["coupon_site", "redemption_spike", "new_customers"])],
                "orders": ["type": "array", "items": string, "description": "The first 50 orders that carried the signals"],
                "referrers": ["type": "array", "items": string, "description": "The coupon, deal or cashback sites that referred them"],
                "order_count": int,
            ], description: "Why a code is taken for leaked: the evidence"),
            "AdInput": object([
                "name": name, "description": string, "media_type": string, "starts_at": time,
                "code": code,
            ], required: ["name"], description: "code defaults to one made from the name"),
            "Ad": object([
                "id": int, "partner_id": int, "code": string, "name": string, "description": string,
                "media_type": nullable(string), "starts_at": nullableTime, "created_at": time,
            ]),
            "StoreInput": object(["name": name, "shop_domain": string, "webhook_secret": string],
                                 required: ["name", "shop_domain", "webhook_secret"]),
            "Store": object([
                "id": int, "name": string, "shop_domain": string, "webhook_secret": string, "webhook_url": string, "created_at": time,
            ]),
            "Me": object(["partner": ref("Partner"), "parent": nullable(ref("Partner")), "children": ["type": "array", "items": ref("Partner")]]),
            "PartnerLink": object([
                "link_id": int, "code": string, "offer_id": int, "offer_name": string,
                "offer_status": enumeration(["active", "paused", "archived", "expired"]), "destination_url": url, "tracking_url": string,
            ]),
            "GenerateInput": object(["link_code": code, "for_partner_code": code, "ad_code": code], required: ["link_code"]),
            "Generated": object([
                "url": string, "link_code": string, "partner_code": string, "credited_partner_code": string, "ad_code": nullable(string),
            ]),
            "Stats": object([
                "partner_code": string, "from": time, "to": time, "by": ["type": "array", "items": string],
                "items": ["type": "array", "items": object(counts.merging([
                    "link": nullable(string), "ad": nullable(string), "child": nullable(string),
                ]) { a, _ in a })],
            ]),
            "Commission": object([
                "id": int, "partner_id": int, "amount": ["type": "integer", "description": "minor units; negative for a line that takes back a paid one"],
                "kind": enumeration(["direct", "parent_override"]), "status": enumeration(["pending", "approved", "paid", "reversed", "held", "rejected"]),
                "available_at": time, "payment_id": ["type": "integer", "nullable": true], "reverses_id": ["type": "integer", "nullable": true],
            ]),
            "Click": object([
                "id": string, "clicked_at": time, "offer_id": nullable(int), "link_id": nullable(int), "partner_id": nullable(int),
                "generating_partner_id": ["type": "integer", "nullable": true, "description": "the parent whose link a child's click came through"],
                "ad_id": nullable(int),
                "outcome": enumeration(["billable", "unattributed", "inactive", "bot", "capped", "expired", "invalid"]),
                "unique": bool, "country": nullable(string),
                "devices": ["type": "array", "items": enumeration(["ios", "android", "mobile", "tablet", "desktop", "windows", "macos", "linux", "chromeos"])],
                "sub1": nullable(string), "sub2": nullable(string), "sub3": nullable(string), "sub4": nullable(string), "sub5": nullable(string),
                "flags": ["type": "array", "description": "Why the click did not count, or is suspect",
                          "items": object(["code": enumeration(["head_request", "prefetch", "headless_browser", "bot_user_agent", "datacenter", "address_cap"]),
                                           "detail": string], required: ["code", "detail"])],
            ]),
            "Conversion": object([
                "id": int, "offer_id": int, "partner_id": ["type": "integer", "nullable": true], "order_id": string,
                "amount": ["type": "integer", "description": "minor units"], "currency": string,
                "status": enumeration(["accepted", "reversed"]), "event": nullable(string), "source": enumeration(["postback", "shopify"]),
                "click_id": nullable(string), "sub1": nullable(string), "sub2": nullable(string), "sub3": nullable(string),
                "sub4": nullable(string), "sub5": nullable(string),
                "commissions": ["type": "array", "items": ref("Commission")],
                "flags": ["type": "array", "description": "Why the conversion is suspect; a flag changes money only through the offer's policy",
                          "items": object(["code": enumeration(["fast_conversion", "leaked_code", "self_referral", "shared_customer", "conversion_rate_outlier"]), "detail": string], required: ["code", "detail"])],
                "review": ["type": "string", "enum": ["held", "approved", "rejected"], "nullable": true,
                           "description": "null when the conversion never entered the review queue"],
                "review_log": ["type": "array", "items": object(["decision": enumeration(["held", "approved", "rejected"]), "reason": string,
                                                                 "by": string, "at": time])],
                "attribution": object([
                    "candidates": object(["code": ["type": "object", "nullable": true], "click": ["type": "object", "nullable": true]]),
                    "policy": enumeration(["code_first", "click_first"]), "winner": enumeration(["code", "click", "none"]),
                    "partner_id": ["type": "integer", "nullable": true], "reason": string,
                ]),
                "created_at": time, "reversed_at": nullableTime,
            ]),
            "ShopifyOrder": object([
                "id": int, "test": bool, "currency": string,
                "discount_codes": ["type": "array", "items": object(["code": string])],
                "landing_site": string, "note_attributes": ["type": "array", "items": object(["name": string, "value": string])],
                "current_subtotal_price_set": object(["shop_money": object(["amount": string, "currency_code": string])]),
                "subtotal_price": string, "referring_site": nullable(string), "email": nullable(string),
                "customer": ["type": "object", "nullable": true, "properties": ["email": nullable(string)]],
            ], required: ["id"], description: "the fields used; every other field of Shopify's order is ignored"),
            "PaymentsDue": object([
                "items": ["type": "array", "items": object([
                    "partner_id": int, "partner_code": string, "name": string, "email": nullable(string), "amount": int,
                    "currency": string, "commissions": int, "payable": bool,
                ])],
                "total": ["type": "integer", "description": "the sum of the payable amounts"], "next_cursor": nullable(string),
            ]),
            "QualityReport": object([
                "range": ["type": "object"], "currency": string,
                "items": ["type": "array", "items": object([
                    "partner_id": int, "clicks": int, "invalid_clicks": int, "invalid_share": ["type": "number"],
                    "flagged_conversions": int, "leaked_code_orders": int,
                    "held_commission": ["type": "integer", "description": "minor units"],
                ])],
            ]),
            "ReviewInput": object(["reason": ["type": "string", "minLength": 1, "maxLength": 500,
                                              "description": "why; kept in the conversion's review_log"]], required: ["reason"]),
            "PayInput": object(["offer_id": int, "partner_ids": ["type": "array", "items": int], "reference": string]),
            "Payment": object([
                "id": int, "partner_id": int, "amount": int, "currency": string, "offer_id": ["type": "integer", "nullable": true],
                "reference": nullable(string), "commissions": int, "created_at": time,
            ]),
            "ProjectInput": object(["name": name, "stages": ["type": "array", "items": ref("StageInput")]], required: ["name"]),
            "StageInput": object([
                "name": name, "kind": enumeration(["custom", "generate_links", "generate_promo_codes"]),
                "offer_id": ["type": "integer", "nullable": true, "description": "a link offer for generate_links, a promo_code offer for generate_promo_codes; none for custom"],
                "position": ["type": "integer", "minimum": 0, "description": "the 0-based index the stage takes; last when absent"],
            ], required: ["name", "kind"]),
            "StagePatch": object([
                "name": name, "offer_id": ["type": "integer", "nullable": true], "position": ["type": "integer", "minimum": 0],
            ], description: "only the fields sent change; a stage's kind cannot"),
            "Stage": object([
                "id": int, "name": string, "kind": enumeration(["custom", "generate_links", "generate_promo_codes"]),
                "offer_id": ["type": "integer", "nullable": true], "position": int, "member_count": int,
                "members": ["type": "array", "items": ref("ProjectMember")],
            ], required: ["id", "name", "kind", "offer_id", "position"]),
            "Project": object(["id": int, "name": string, "created_at": time, "stages": ["type": "array", "items": ref("Stage")]]),
            "ProjectMember": object([
                "partner_id": int, "name": string, "email": nullable(string), "stage_id": int, "entered_at": time,
                "status": ["type": "string", "description": "entered or existing, when partners enter"],
            ]),
            "StageDeletion": object(["deleted": int, "moved_to": ["type": "integer", "nullable": true], "moved_members": int]),
            "PartnerIDs": object(["partner_ids": ["type": "array", "items": int, "minItems": 1]], required: ["partner_ids"]),
            "MoveInput": object(["partner_ids": ["type": "array", "items": int, "minItems": 1], "stage_id": int],
                                required: ["partner_ids", "stage_id"]),
            "GenerateMembersInput": object([
                "partner_ids": ["type": "array", "items": int, "minItems": 1, "description": "all the stage's members when absent"],
                "payout_override": ref("Payout"), "starts_at": time, "ends_at": time,
            ]),
            "Generation": object([
                "partner_id": int, "name": string, "status": enumeration(["created", "existing"]),
                "message": ["type": "string", "nullable": true, "description": "why nothing was made: the member had its link or code"],
                "stage_id": ["type": "integer", "description": "the stage the member is in now"],
                "tracking_url": nullable(string), "promo_code": nullable(string), "dashboard_url": string,
            ]),
            "WebhookInput": object([
                "url": ["type": "string", "maxLength": 2048, "description": .string(
                    "https (http only with --allow-http-event-targets), no user info; refused when its host leads to a loopback, private, "
                    + "link-local, multicast or metadata address (unless --allow-private-event-targets)")],
                "events": ["type": "array", "minItems": 1, "items": eventTypes],
            ], required: ["url", "events"]),
            "WebhookChange": object([
                "url": ["type": "string", "maxLength": 2048], "events": ["type": "array", "minItems": 1, "items": eventTypes],
                "status": enumeration(["active", "disabled"]),
            ]),
            "WebhookEndpoint": object([
                "id": int, "url": string, "events": ["type": "array", "items": eventTypes], "status": enumeration(["active", "disabled"]),
                "disabled_reason": nullable(string), "failing_since": nullableTime, "created_at": time,
                "previous_secret_expires_at": nullableTime,
                "secret": ["type": "string", "description": "whsec_ and base 64: only when created or rotated"],
            ], required: ["id", "url", "events", "status", "created_at"]),
            "DeliveryAttempt": object([
                "id": int, "event_id": string, "event_type": string, "attempt": int, "started_at": time, "status_code": nullable(int),
                "latency_ms": int, "response": nullable(string), "error": nullable(string),
            ], required: ["id", "event_id", "event_type", "attempt", "started_at", "latency_ms"]),
            "ReplayInput": object([
                "event_id": ["type": "string", "description": "evt_...; or from and to"], "from": time, "to": time,
            ]),
            "PostbackInput": object([
                "url_template": ["type": "string", "maxLength": 2048, "description": .string(
                    "an https URL (http only with --allow-http-event-targets) with macros in its path or query, each replaced by its value "
                    + "percent-encoded: " + PostbackTemplate.macros.map { "{\($0)}" }.joined(separator: " "))],
                "method": enumeration(PostbackMethod.allCases.map(\.rawValue)),
            ], required: ["url_template"]),
            "PostbackStatus": object(["status": enumeration(["active", "disabled"])], required: ["status"]),
            "Postback": object([
                "partner_id": int, "url_template": string, "method": enumeration(PostbackMethod.allCases.map(\.rawValue)),
                "status": enumeration(["active", "disabled"]), "disabled_reason": nullable(string),
            ], required: ["partner_id", "url_template", "method", "status"]),
            "EmailInput": object([
                "partner_ids": ["type": "array", "items": int, "minItems": 1],
                "subject": ["type": "string", "description": "one line; Mustache like the body"],
                "body": ["type": "string", "description": .string("plain text with {{name}}, {{promo_code}}, {{tracking_url}}, "
                    + "{{starts_at}}, {{ends_at}}, {{dashboard_url}} and sections of them ({{#ends_at}}...{{/ends_at}})")],
                "preview": ["type": "boolean", "description": "render only; nothing is queued"],
            ], required: ["subject", "body"]),
            "Messages": object(["messages": ["type": "array", "items": object([
                "id": ["type": "integer", "description": "the outbox message, when queued"], "partner_id": int, "to": nullable(string),
                "subject": string, "body": string, "status": enumeration(["preview", "queued", "no_address"]),
            ])]]),
            "OutboxMessage": object([
                "id": int, "offer_id": ["type": "integer", "nullable": true], "stage_id": ["type": "integer", "nullable": true],
                "partner_id": int, "to": string, "subject": string, "body": string, "status": enumeration(["queued", "sent", "failed"]),
                "attempts": int, "last_error": nullable(string), "created_at": time, "sent_at": nullableTime,
            ]),
            "Range": object(["preset": nullable(string), "from": time, "to": time]),
            "Summary": object([
                "range": ref("Range"), "currency": string, "offers": int,
                "kpis": object(Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0.rawValue, int) })),
                "definitions": object(Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0.rawValue, string) })),
            ], description: "money in minor units"),
            "Report": object([
                "range": ref("Range"), "currency": string, "columns": ["type": "array", "items": string],
                "items": ["type": "array", "items": ["type": "object", "description": "the offer's or member's fields and `kpis`, one per column"]],
                "next_cursor": nullable(string),
            ]),
            "MemberDashboard": object([
                "partner": ref("Partner"),
                "offer": object(["id": int, "name": string, "type": string, "status": string, "payout": ref("Payout"),
                                 "parent_override_percent": ["type": "number", "nullable": true], "hold_days": int,
                                 "starts_at": nullableTime, "ends_at": nullableTime]),
                "promo_code": nullable(string), "tracking_url": nullable(string), "dashboard_url": string, "commission_structure": string, "currency": string,
                "conversions": ["type": "array", "items": object(["id": int, "order_id": string, "amount": int, "commission": int,
                                                                  "status": string, "created_at": time])],
                "expected_commission": ["type": "integer", "description": "pending and due commission, minor units"],
                "paid_commission": int,
                "payments": ["type": "array", "items": object(["id": int, "amount": int, "reference": nullable(string), "created_at": time])],
            ]),
            "LiveReport": object([
                "clicks_per_second": object(["1s": number, "10s": number, "60s": number]),
                "totals": object(counts.merging(["dropped": int]) { a, _ in a }),
                "top_offers": ["type": "array", "items": object(["offer_id": int, "clicks": int])],
                "top_partners": ["type": "array", "items": object(["partner_id": int, "clicks": int])],
                "workers": ["type": "array", "items": object([
                    "id": int, "ring_fill": number, "dropped": int, "p50_us": number, "p99_us": number, "requests": int,
                    "catalogue_version": int,
                ])],
            ]),
        ]
    }

    static var securitySchemes: JSON {
        [
            "adminKey": ["type": "http", "scheme": "bearer", "description": "an admin key (`clickline keys create --role admin`)"],
            "opsKey": ["type": "http", "scheme": "bearer", "description": "an ops key (`clickline keys create --role ops`)"],
            "partnerToken": ["type": "http", "scheme": "bearer", "description": "a partner token, shown when the partner is created"],
        ]
    }

    // MARK: building blocks

    static let string: JSON = ["type": "string"]
    static let int: JSON = ["type": "integer"]
    static let number: JSON = ["type": "number"]
    static let bool: JSON = ["type": "boolean"]

    static func ref(_ name: String) -> JSON { ["$ref": .string("#/components/schemas/\(name)")] }
    static func page(_ name: String) -> JSON {
        object(["items": ["type": "array", "items": ref(name)], "next_cursor": nullable(string)], required: ["items", "next_cursor"])
    }
    static func nullable(_ schema: JSON) -> JSON {
        guard case .object(var fields) = schema else { return schema }
        // OpenAPI 3.0 ignores a reference's siblings: a nullable reference is wrapped.
        if fields["$ref"] != nil { return ["allOf": [schema], "nullable": true] }
        fields["nullable"] = true
        return .object(fields)
    }
    static func enumeration(_ values: [String]) -> JSON { ["type": "string", "enum": .array(values.map(JSON.string))] }
    static func object(_ properties: [String: JSON], required: [String] = [], description: String? = nil) -> JSON {
        var schema: [String: JSON] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(JSON.string)) }
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }
    static func queryParameter(_ name: String, _ description: String, type: String = "string") -> JSON {
        ["name": .string(name), "in": "query", "required": false, "description": .string(description), "schema": ["type": .string(type)]]
    }
    static func errorResponse(_ description: String) -> JSON {
        ["description": .string(description), "content": ["application/json": ["schema": ref("Error")]]]
    }
}

/// A JSON value, written as Swift literals.
enum JSON: Encodable, Sendable, ExpressibleByStringLiteral, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral,
           ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([JSON])
    case object([String: JSON])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
