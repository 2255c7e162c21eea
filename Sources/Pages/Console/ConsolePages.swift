import API
import Domain
import EventsOut
import Foundation
import Hummingbird
import Ops
import Services
import Store
import Wire

/// The brand console: every workflow of the product documents as a page
/// (the dashboard, offers and their members, conversions, payments,
/// projects, the team) and the live page.
struct ConsolePages: Sendable {
    let store: SQLStore
    let urls: PublicURLs
    let sources: OpsSources
    let renderer: Renderer
    let accounts: Accounts
    let catalogue: Catalogue
    let memberships: Memberships
    let payments: Payments
    let workflow: ProjectWorkflow
    let emails: MemberEmails
    let reports: ReportAPI
    let eventTargets: TargetGuard
    let invalidClicks: InvalidClickRules

    init(pages: Pages) {
        store = pages.store
        urls = pages.urls
        sources = pages.sources
        renderer = pages.renderer
        accounts = pages.accounts
        catalogue = Catalogue(store: pages.store)
        memberships = Memberships(store: pages.store)
        payments = Payments(store: pages.store)
        workflow = ProjectWorkflow(store: pages.store)
        emails = MemberEmails(store: pages.store, urls: pages.urls)
        reports = ReportAPI(store: pages.store)
        eventTargets = pages.eventTargets
        invalidClicks = pages.invalidClicks
    }

    func register(on pages: RouterGroup<PageContext>) {
        pages.get("/dashboard", use: dashboard)
        pages.get("/dashboard.csv", use: dashboardCSV)
        pages.get("/ops", use: ops)
        registerOffers(on: pages)
        registerRules(on: pages)
        registerMembers(on: pages)
        registerMoney(on: pages)
        registerQuality(on: pages)
        registerClicks(on: pages)
        registerProjects(on: pages)
        registerTeam(on: pages)
        registerWebhooks(on: pages)
    }

    func page(_ template: String, _ values: [String: Any], _ context: PageContext, status: HTTPResponse.Status = .ok) -> Response {
        renderer.page(template, values, context: context, status: status)
    }

    static func now() -> Int64 { Timestamp.now() }

    /// 1234567 minor units as `12,345.67`.
    static func money(_ minorUnits: Int64, _ currency: Currency) -> String {
        let text = Money(minorUnits: minorUnits, currency: currency).decimalString
        let negative = text.hasPrefix("-")
        let parts = text.dropFirst(negative ? 1 : 0).split(separator: ".", maxSplits: 1)
        var whole = String(parts[0])
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole = String(whole.dropLast(3))
        }
        return (negative ? "-" : "") + whole + grouped + (parts.count > 1 ? "." + parts[1] : "")
    }

    static func count(_ value: Int64) -> String {
        value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    }

    static func day(_ milliseconds: Int64?) -> String {
        milliseconds.map { String(Timestamp.format($0).prefix(10)) } ?? ""
    }

    /// The id in the path, or 404.
    static func id(_ context: PageContext, _ name: String = "id") throws -> UInt32 {
        guard let text = context.parameters.get(name), let id = UInt32(text), id > 0 else { throw PageError.notFound("There is nothing here.") }
        return id
    }

    func offer(_ context: PageContext) async throws -> Offer {
        let id = try Self.id(context)
        guard let offer = try await store.offer(id: id) else { throw PageError.notFound("There is no offer \(id).") }
        return offer
    }

    /// Runs a form's work once however often it is sent: the form's
    /// `submission` key is claimed first; a repeat goes where the first
    /// went, or, while the first is still at work, back to `pending`.
    /// A refusal gives the key up, so the corrected form can be sent.
    func once(_ context: PageContext, pending: String, _ work: () async throws -> String) async throws -> Response {
        guard let key = context.form.text("submission"), key.utf8.count <= 64 else { return Renderer.redirect(try await work()) }
        switch try await store.claimSubmission(key: key, now: Self.now()) {
        case .done(let location): return Renderer.redirect(location)
        case .inProgress: return Renderer.redirect(pending)
        case .claimed: break
        }
        do {
            let location = try await work()
            try await store.completeSubmission(key: key, location: location)
            return Renderer.redirect(location)
        } catch {
            try? await store.releaseSubmission(key: key)
            throw error
        }
    }
}
