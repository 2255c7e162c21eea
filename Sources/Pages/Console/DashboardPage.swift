import API
import Domain
import Foundation
import Hummingbird
import Ops
import Store

/// Sales Tracking: the KPIs of the range, clicks and sales per day, and the
/// offers with the chosen columns, filtered and searched, as a page and as
/// CSV; each active offer's Send Payment; Add Offer.
extension ConsolePages {
    static let kpiLabels: [KPI: String] = [
        .members: "Members", .membersWithConversions: "Members with conversions", .conversions: "Conversions", .clicks: "Billable clicks",
        .totalSales: "Total sales", .salesPerMember: "Sales per member", .commissionsEarned: "Commissions earned",
        .avgCommissionPerMember: "Average commission per member", .paymentsDue: "Payments due",
        .membersWithPaymentsDue: "Members with payments due",
    ]
    static let defaultColumns: [KPI] = [.members, .clicks, .conversions, .totalSales, .commissionsEarned, .paymentsDue]
    static let ranges = [("last_6_months", "Last 6 months"), ("month_to_date", "Month to date"), ("last_30_days", "Last 30 days"),
                         ("custom", "Custom")]

    /// The report's parameters from the dashboard's form: the range, the
    /// filters, a KPI bound typed in the currency's units, and the columns
    /// (those the member chose last when the form names none).
    func reportParameters(_ request: Request, member: TeamMember, currency: Currency) throws -> (parameters: [String: String], columns: [KPI]) {
        let query = request.uri.queryParameters
        var parameters: [String: String] = [:]
        let range = query["range"].map(String.init) ?? "last_6_months"
        if range == "custom" {
            if let from = query["from"], !from.isEmpty { parameters["from"] = String(from) }
            if let to = query["to"], !to.isEmpty { parameters["to"] = String(to) }
            if parameters.isEmpty { parameters["range"] = "last_6_months" }
        } else {
            parameters["range"] = range
        }
        for name in ["status", "type", "project_id", "q", "sort"] {
            if let value = query[Substring(name)], !value.isEmpty { parameters[name] = String(value) }
        }
        if let name = query["bound_kpi"], let kpi = KPI(rawValue: String(name)) {
            for side in ["min", "max"] {
                guard let text = query[Substring("bound_" + side)], !text.isEmpty else { continue }
                let value: Int64? = kpi.isMoney ? try FormInput.money(String(text), currency: currency, field: "bound_" + side)
                    : Int64(text.trimmingCharacters(in: .whitespaces))
                guard let value else { throw APIError.invalid("bound_" + side, "Enter a whole number.") }
                parameters[side + "_" + kpi.rawValue] = String(value)
            }
        }
        let chosen = query.getAll("col").compactMap { KPI(rawValue: String($0)) }
        let remembered = member.preferences["dashboard.columns"]?.split(separator: ",").compactMap { KPI(rawValue: String($0)) }
        let columns = !chosen.isEmpty ? chosen : (remembered?.isEmpty == false ? remembered! : Self.defaultColumns)
        parameters["columns"] = columns.map(\.rawValue).joined(separator: ",")
        return (parameters, columns)
    }

    @Sendable func dashboard(_ request: Request, context: PageContext) async throws -> Response {
        let member = try context.team(.read, request)
        let currency = try await store.currency()
        var problem: String?
        var report: ReportAPI.OfferReport
        var columns: [KPI]
        do {
            let chosen = try reportParameters(request, member: member, currency: currency)
            columns = chosen.columns
            report = try await reports.offerReport(chosen.parameters)
            // A new choice of columns is remembered for the member.
            let text = columns.map(\.rawValue).joined(separator: ",")
            if !request.uri.queryParameters.getAll("col").isEmpty, member.preferences["dashboard.columns"] != text {
                _ = try await store.updateTeamMember(id: member.id) { $0.preferences["dashboard.columns"] = text }
            }
        } catch let error as APIError where error.status == .unprocessableContent {
            problem = FormInput.errors(error)?.values.first
            columns = Self.defaultColumns
            report = try await reports.offerReport(["columns": columns.map(\.rawValue).joined(separator: ",")])
        }
        let now = report.selection.query.now
        let total = report.rows.reduce(KPISums()) { $0 + $1.sums }
        func show(_ kpi: KPI, _ value: Int64) -> String { kpi.isMoney ? Self.money(value, currency) : Self.count(value) }
        let tiles: [[String: Any]] = KPI.allCases.map { kpi in
            ["key": kpi.rawValue, "value": show(kpi, kpi.value(total)) + (kpi.isMoney ? " " + currency.code : ""),
             "name": Self.kpiLabels[kpi] ?? kpi.rawValue, "definition": kpi.definition]
        }
        let offers: [[String: Any]] = report.rows.map { row in
            let status = row.offer.effectiveStatus(at: now)
            return ["id": row.offer.id, "name": row.offer.name, "status": status.rawValue, "type": Self.typeLabel(row.offer.type),
                    "cells": columns.map { ["value": show($0, $0.value(row.sums)), "key": $0.rawValue] },
                    "payable": status == .active && row.sums.paymentsDue > 0]
        }
        let query = request.uri.queryParameters
        let range = query["range"].map(String.init) ?? "last_6_months"
        let boundKPI = query["bound_kpi"].map(String.init) ?? ""
        let projects = try await store.projects(afterID: 0, limit: 1000)
        var csvQuery = request.uri.query ?? ""
        if csvQuery.isEmpty { csvQuery = "col=" + columns.map(\.rawValue).joined(separator: "&col=") }
        return page("dashboard", [
            "title": "Sales Tracking", "section": "dashboard", "tiles": tiles, "offers": offers, "currency": currency.code,
            "problem": problem ?? "",
            "from": Self.day(report.selection.range.from), "to": Self.day(report.selection.range.to - 1),
            "ranges": Self.ranges.map { ["name": $0.0, "label": $0.1, "selected": $0.0 == range] },
            "custom": range == "custom",
            "statuses": EffectiveOfferStatus.allCases.map { ["name": $0.rawValue, "selected": query["status"].map(String.init) == $0.rawValue] },
            "types": OfferType.allCases.map { ["name": $0.rawValue, "label": Self.typeLabel($0), "selected": query["type"].map(String.init) == $0.rawValue] },
            "projects": projects.map { ["id": $0.id, "name": $0.name, "selected": query["project_id"].map(String.init) == String($0.id)] },
            "kpis": KPI.allCases.map { ["key": $0.rawValue, "label": Self.kpiLabels[$0] ?? $0.rawValue, "bound": $0.rawValue == boundKPI,
                                        "shown": columns.contains($0)] },
            "columns": columns.map { ["key": $0.rawValue, "label": Self.kpiLabels[$0] ?? $0.rawValue] },
            "bound_min": query["bound_min"].map(String.init) ?? "", "bound_max": query["bound_max"].map(String.init) ?? "",
            "q": query["q"].map(String.init) ?? "", "csv": "/dashboard.csv?" + csvQuery,
            "chart": Chart.clicksAndSales(try await store.dailySeries(report.selection.query), currency: currency),
            "can_act": member.role.may(.manage),
        ], context)
    }

    @Sendable func dashboardCSV(_ request: Request, context: PageContext) async throws -> Response {
        let member = try context.team(.read, request)
        let currency = try await store.currency()
        let parameters = try reportParameters(request, member: member, currency: currency).parameters
        return ReportAPI.csv(try await reports.offerReport(parameters))
    }

    static func typeLabel(_ type: OfferType) -> String {
        type == .link ? "Sales link" : "Promo code"
    }

    // MARK: live

    @Sendable func ops(_ request: Request, context: PageContext) async throws -> Response {
        _ = try context.team(.watchLive, request)
        let live = LiveReport(live: sources.live(), workers: sources.workers())
        let workers: [[String: Any]] = live.workers.map { worker in
            ["id": worker.id, "requests": worker.requests, "fill": String(format: "%.1f %%", worker.ringFill * 100), "dropped": worker.dropped,
             "p50": String(format: "%.0f", worker.p50Microseconds), "p99": String(format: "%.0f", worker.p99Microseconds),
             "catalogue": worker.catalogueVersion]
        }
        return page("ops", [
            "title": "Live", "section": "ops", "workers": workers,
            "rate1": String(format: "%.0f", live.clicksPerSecond.oneSecond), "rate10": String(format: "%.1f", live.clicksPerSecond.tenSeconds),
            "rate60": String(format: "%.1f", live.clicksPerSecond.sixtySeconds), "clicks": live.totals.clicks, "billable": live.totals.billable,
            "bot": live.totals.bot, "dropped": live.totals.dropped,
        ], context)
    }
}
