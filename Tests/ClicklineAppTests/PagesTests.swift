import ClickModel
import Domain
import Foundation
import Services
import Store
import Testing

extension EndToEnd {
    /// The pages over plain HTTP: signing in, sessions, form tokens, roles,
    /// what a partner may see, and forms refusing bad values. The workflows
    /// themselves are clicked through in a real browser (BrowserTests).
    @Suite("Pages, sign-in and sessions")
    struct PagesTests {
        /// A teammate with `role` and a one-time sign-in link to the server's admin port, as `clickline users create` makes them.
        static func teammate(_ server: TestServer, _ email: String, _ role: TeamRole) async throws -> String {
            let accounts = Accounts(store: server.store, urls: PublicURLs(tracking: { "" }, dashboard: { "http://127.0.0.1:\(server.adminPort)" }))
            let member = try await accounts.addTeamMember(email: email, role: role)
            let link = try await accounts.signInLink(for: member)
            return String(link.dropFirst("http://127.0.0.1:\(server.adminPort)".count))
        }

        /// Signs `email` in by its link, choosing `password`; the client keeps the session.
        static func signedIn(_ server: TestServer, _ email: String, _ role: TeamRole, password: String = "correct horse battery") async throws -> PageClient {
            let browser = PageClient(port: server.adminPort)
            let path = try await teammate(server, email, role)
            #expect(try browser.get(path).status == 200)
            let answer = try browser.post(path, [("password", password), ("password_again", password)])
            #expect(answer.status == 303)
            return browser
        }

        @Test func aTeammateSignsInByLinkThenByPassword() async throws {
            try await withServer { server in
                let browser = PageClient(port: server.adminPort)
                let first = try browser.get("/dashboard")
                #expect(first.status == 303 && first.header("Location") == "/login?next=/dashboard")

                let path = try await Self.teammate(server, "owner@example.com", .owner)
                #expect(try browser.get(path).status == 200)
                #expect(browser.page.contains("owner@example.com"))
                let short = try browser.post(path, [("password", "short"), ("password_again", "short")])
                #expect(short.status == 422, "a password under 10 characters is refused at the field")
                #expect(browser.page.contains("10"))
                let signedIn = try browser.post(path, [("password", "correct horse battery"), ("password_again", "correct horse battery")])
                #expect(signedIn.status == 303 && signedIn.header("Location") == "/dashboard")
                let cookie = try #require(browser.setCookies.first { $0.hasPrefix("clickline_session=") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
                #expect(!cookie.contains("Secure"), "the public URL is http")
                #expect(try browser.get("/dashboard").status == 200)
                #expect(browser.page.contains("owner@example.com"))
                // A session reads the live figures as an admin key would, and never writes through the API.
                let session = try #require(browser.cookies["clickline_session"])
                #expect(try HTTP.get(port: server.adminPort, "/v1/ops/live", headers: ["Cookie": "clickline_session=\(session)"]).status == 200)
                #expect(try HTTP.get(port: server.adminPort, "/v1/reports/summary", headers: ["Cookie": "clickline_session=\(session)"]).status == 401)

                // The link worked once.
                let again = PageClient(port: server.adminPort)
                #expect(try again.get(path).status == 410)
                #expect(again.page.contains("used already"))

                // Signing out ends the session on the server, not only in this browser.
                _ = try browser.get("/dashboard")
                #expect(try browser.post("/logout", []).header("Location") == "/login")
                #expect(try HTTP.get(port: server.adminPort, "/dashboard", headers: ["Cookie": "clickline_session=\(session)"]).status == 303)

                // Then email and password; only paths of this site are followed after.
                _ = try browser.get("/login?next=/payments")
                let wrong = try browser.post("/login", [("email", "owner@example.com"), ("password", "not the password"), ("next", "/payments")])
                #expect(wrong.status == 401)
                #expect(browser.page.contains("owner@example.com"), "the email typed is kept")
                let right = try browser.post("/login", [("email", "owner@example.com"), ("password", "correct horse battery"), ("next", "//evil.example/")])
                #expect(right.status == 303 && right.header("Location") == "/dashboard")
            }
        }

        @Test func signInAttemptsAreLimitedWithAClearMessage() async throws {
            try await withServer { server in
                _ = try await Self.signedIn(server, "owner@example.com", .owner)
                let browser = PageClient(port: server.adminPort)
                _ = try browser.get("/login")
                var statuses: [Int] = []
                for _ in 0..<6 {
                    statuses.append(try browser.post("/login", [("email", "owner@example.com"), ("password", "wrong password!")]).status)
                }
                #expect(statuses == [401, 401, 401, 401, 401, 429])
                #expect(browser.page.contains("Too many"), "\(browser.page)")
                // Even the right password waits now.
                #expect(try browser.post("/login", [("email", "owner@example.com"), ("password", "correct horse battery")]).status == 429)
            }
        }

        @Test func everyFormNeedsItsTokenAndEveryActionItsRole() async throws {
            try await withServer { server in
                let owner = try await Self.signedIn(server, "owner@example.com", .owner)
                _ = try owner.get("/offers/new?type=link")
                let fields = [("type", "link"), ("name", "Forged"), ("payout_type", "percent"), ("payout_value", "10"),
                              ("destination_url", "https://shop.example.com/")]
                #expect(try owner.post("/offers/new", fields, csrf: .some(nil)).status == 403, "no token")
                #expect(owner.page.contains("expired"))
                #expect(try owner.post("/offers/new", fields, csrf: "0123456789abcdef0123456789abcdef0123456789abcdef").status == 403, "a stale token")
                #expect(try await server.store.offers(OfferQuery(text: "Forged", now: Int64(Date().timeIntervalSince1970 * 1000))).isEmpty)

                let viewer = try await Self.signedIn(server, "viewer@example.com", .viewer)
                #expect(try viewer.get("/dashboard").status == 200)
                #expect(!viewer.page.contains("id=\"add-offer\""), "a viewer is not offered what it cannot do")
                #expect(try viewer.post("/offers/new", fields).status == 403)
                #expect(viewer.page.contains("viewer"))
                #expect(try viewer.post("/payments", [("scope", "all")]).status == 403)
                #expect(try await server.store.offers(OfferQuery(text: "Forged", now: Int64(Date().timeIntervalSince1970 * 1000))).isEmpty)
                #expect(try viewer.post("/team/invites", [("email", "x@example.com"), ("role", "owner")]).status == 403)
            }
        }

        @Test func anInviteWorksOnceAndAnExpiredOneSaysSo() async throws {
            try await withServer { server in
                let owner = try await Self.signedIn(server, "owner@example.com", .owner)
                _ = try owner.get("/team")
                let bad = try owner.post("/team/invites", [("email", "not an address"), ("role", "ops")])
                #expect(bad.status == 422)
                #expect(owner.page.contains("value=\"not an address\""), "what was typed is kept")
                #expect(try owner.post("/team/invites", [("email", "ops@example.com"), ("role", "ops")]).status == 303)
                let message = try #require(try await server.store.outbox(OutboxQuery(includeSignInMessages: true)).first { $0.to == "ops@example.com" })
                let path = try #require(PageClient.capture(#"http://[^/\s]+(/invite/cll_[a-z0-9]+)"#, in: message.body))
                let invited = PageClient(port: server.adminPort)
                #expect(try invited.get(path).status == 200)
                #expect(try invited.post(path, [("password", "ops password 1"), ("password_again", "ops password 1")]).header("Location") == "/ops")
                #expect(try await server.store.teamMember(email: "ops@example.com")?.role == .ops)
                #expect(try PageClient(port: server.adminPort).get(path).status == 410)

                let secret = Secrets.make(.signInLink)
                let weekAgo = Int64(Date().timeIntervalSince1970 * 1000) - 8 * 86_400_000
                try await server.store.createOneTimeLink(OneTimeLink(purpose: .invite, email: "late@example.com", role: .admin, createdAt: weekAgo),
                                                         secretHash: Secrets.hash(secret))
                let late = PageClient(port: server.adminPort)
                #expect(try late.get("/invite/" + secret).status == 410)
                #expect(late.page.contains("This invite has expired"))
                // The page has no form; a form sent anyway is refused as expired too.
                #expect(try late.post("/invite/" + secret, [("password", "late password"), ("password_again", "late password")],
                                      csrf: late.cookies["clickline_form"]).status == 410)
                #expect(try await server.store.teamMember(email: "late@example.com") == nil)
            }
        }

        /// A code a coupon site leaked is marked in the offer's member list, with its evidence.
        @Test func aLeakedCodeIsMarkedInTheMemberList() async throws {
            try await withServer { server in
                let owner = try await Self.signedIn(server, "owner@example.com", .owner)
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                let member = try #require(try await server.store.memberships(partnerID: alice.id).first { $0.promoCode != nil })
                _ = try owner.get("/offers/\(member.offerID)")
                #expect(owner.page.contains(member.promoCode!) && !owner.page.contains("data-leak"))
                var request = ConversionRequest(offerID: nil, orderID: "L-1", amount: Money(minorUnits: 5_000, currency: .usd), source: .shopify,
                                                codes: [member.promoCode!], now: Int64(Date().timeIntervalSince1970 * 1000))
                request.couponSite = "retailmenot.com"
                _ = try await ConversionRecorder(store: server.store).record(request)
                _ = try owner.get("/offers/\(member.offerID)")
                #expect(owner.page.contains("leaked: 1 order from retailmenot.com"), "\(owner.page)")

                // New code: sent twice (a double click), the code is replaced once, and the old one is listed.
                let old = member.promoCode!
                let refresh = "/offers/\(member.offerID)/members/\(alice.id)/refresh-code"
                let submission = "refresh-\(member.offerID)-\(alice.id)-\(old)"
                #expect(owner.page.contains("name=\"submission\" value=\"\(submission)\""), "the member's New code form names its code")
                #expect(try owner.post(refresh, [("submission", submission)]).status == 303)
                #expect(try owner.post(refresh, [("submission", submission)]).status == 303)
                let refreshed = try #require(try await server.store.member(offerID: member.offerID, partnerID: alice.id))
                #expect(refreshed.promoCode != old && refreshed.previousCodes.map(\.code) == [old])
                _ = try owner.get("/offers/\(member.offerID)")
                #expect(owner.page.contains(refreshed.promoCode!) && owner.page.contains("replaced: \(old)"), "\(owner.page)")
                #expect(!owner.page.contains("data-leak"), "the new code starts clean")
                // The member's own page tells them the old code no longer earns.
                let own = try HTTP.get(port: server.adminPort, "/p/\(refreshed.dashboardToken)")
                #expect(own.status == 200 && own.text.contains(refreshed.promoCode!))
                #expect(own.text.contains("Replaced, and no longer earning: <code>\(old)</code>"), "\(own.text)")
            }
        }

        /// The Quality page lists each partner's flagged conversions, orders on
        /// leaked codes and held commission over the range, and downloads the
        /// whole report as CSV; a range it cannot read is said, not a failure.
        @Test func theQualityPageShowsWhatEachPartnersTrafficIsWorth() async throws {
            try await withServer { server in
                let owner = try await Self.signedIn(server, "owner@example.com", .owner)
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                let member = try #require(try await server.store.memberships(partnerID: alice.id).first { $0.promoCode != nil })
                _ = try await server.store.updateOffer(id: member.offerID) { $0.leakedCodePolicy = .hold }
                _ = try owner.get("/quality")
                #expect(owner.page.contains(#"href="/quality" aria-current="page""#), "in the console's navigation")
                var request = ConversionRequest(offerID: nil, orderID: "Q-1", amount: Money(minorUnits: 5_000, currency: .usd), source: .shopify,
                                                codes: [member.promoCode!], now: Int64(Date().timeIntervalSince1970 * 1000))
                request.couponSite = "retailmenot.com"
                guard case .created(let held) = try await ConversionRecorder(store: server.store).record(request) else {
                    Issue.record("the order was not recorded")
                    return
                }
                let heldAmount = held.commissions.filter { $0.status == .held }.reduce(0) { $0 + $1.amount.minorUnits }
                #expect(heldAmount > 0)

                _ = try owner.get("/quality")
                let row = try #require(PageClient.capture(#"(?s)(<tr data-row data-partner="\#(alice.id)">.*?</tr>)"#, in: owner.page))
                #expect(row.contains(#"data-column="flagged">1<"#) && row.contains(#"data-column="leaked">1<"#), "\(row)")
                #expect(row.contains(#"data-column="held">\#(Money(minorUnits: heldAmount, currency: .usd).decimalString)<"#), "\(row)")
                #expect(row.contains(alice.name))

                let csv = try owner.get("/quality.csv?range=last_30_days")
                #expect(csv.status == 200 && csv.header("Content-Type")?.hasPrefix("text/csv") == true)
                let lines = csv.text.split(whereSeparator: \.isNewline).map(String.init)
                #expect(lines.first?.hasPrefix("partner_id,clicks,invalid_clicks,invalid_share,flagged_conversions,leaked_code_orders,held_commission") == true)
                #expect(lines.contains { $0.hasPrefix("\(alice.id),") && $0.contains(",1,1,\(heldAmount),USD") }, "\(lines)")

                let unreadable = try owner.get("/quality?range=custom&from=2026-02-30&to=2026-03-01")
                #expect(unreadable.status == 200 && owner.page.contains(#"id="problem""#), "\(owner.page)")
            }
        }

        /// A partner's invalid clicks on the Quality page lead to the clicks
        /// themselves, each flagged one with why it did not count.
        @Test func flaggedClicksAreListedWithWhyTheyDidNotCount() async throws {
            try await withServer { server in
                let owner = try await Self.signedIn(server, "owner@example.com", .owner)
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                let browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
                let headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
                var ids: [ClickID] = []
                for (method, agent) in [("GET", browser), ("HEAD", browser), ("GET", headless)] {
                    let (response, _) = try HTTP.exchange(port: server.edgePort, Array(
                        "\(method) /haircare/abc123 HTTP/1.1\r\nHost: t.example\r\nUser-Agent: \(agent)\r\nConnection: close\r\n\r\n".utf8))
                    ids.append(try #require(response.clickID))
                }
                try #require(try await server.waitUntil(seconds: 10) {
                    for id in ids where try await server.store.click(id: id) == nil { return false }
                    return true
                })
                _ = try owner.get("/quality")
                let link = try #require(PageClient.capture(#"href="(/clicks\?partner_id=\#(alice.id)&amp;flagged=1[^"]*)""#, in: owner.page))
                #expect(try owner.get(link.replacingOccurrences(of: "&amp;", with: "&")).status == 200)
                #expect(owner.page.contains("Clicks of \(alice.name)"))
                #expect(!owner.page.contains("data-click=\"\(ids[0])\""), "a clean click is not flagged")
                let head = try #require(PageClient.capture(#"(?s)(<tr data-row data-click="\#(ids[1])">.*?</tr>)"#, in: owner.page))
                #expect(head.contains(#"data-flag="head_request""#) && head.contains("a HEAD request"), "\(head)")
                let bot = try #require(PageClient.capture(#"(?s)(<tr data-row data-click="\#(ids[2])">.*?</tr>)"#, in: owner.page))
                #expect(bot.contains(#"data-flag="headless_browser""#), "\(bot)")

                _ = try owner.get("/clicks?partner_id=\(alice.id)")
                #expect(ids.allSatisfy { owner.page.contains("data-click=\"\($0)\"") }, "unfiltered, every click")

                // A hundred a page: the next page goes on with the same filters.
                for _ in 0..<100 {
                    let (response, _) = try HTTP.exchange(port: server.edgePort, Array(
                        "GET /haircare/abc123 HTTP/1.1\r\nHost: t.example\r\nUser-Agent: \(browser)\r\nConnection: close\r\n\r\n".utf8))
                    ids.append(try #require(response.clickID))
                }
                try #require(try await server.waitUntil(seconds: 10) { try await server.store.click(id: ids.last!) != nil })
                _ = try owner.get("/clicks?partner_id=\(alice.id)&to=2100-01-01")
                let first = Set(ids.filter { owner.page.contains("data-click=\"\($0)\"") })
                let next = try #require(PageClient.capture(#"href="([^"]+)" id="next-page""#, in: owner.page))
                _ = try owner.get(next.replacingOccurrences(of: "&amp;", with: "&"))
                let second = Set(ids.filter { owner.page.contains("data-click=\"\($0)\"") })
                #expect(first.count == 100 && first.isDisjoint(with: second) && first.union(second) == Set(ids), "\(first.count) + \(second.count)")
                #expect(try owner.get("/clicks?partner_id=x").status == 200 && owner.page.contains(#"id="problem""#))
            }
        }

        /// Under the `hold` policy an order from a coupon site waits in the
        /// review queue; a teammate decides on the conversion's page with a
        /// reason, which the log keeps under their email.
        @Test func aHeldConversionIsDecidedOnItsPageWithAReason() async throws {
            try await withServer { server in
                let owner = try await Self.signedIn(server, "owner@example.com", .owner)
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                let member = try #require(try await server.store.memberships(partnerID: alice.id).first { $0.promoCode != nil })
                _ = try await server.store.updateOffer(id: member.offerID) { $0.leakedCodePolicy = .hold }
                _ = try owner.get("/offers/\(member.offerID)/edit")
                #expect(owner.page.contains(#"<option value="hold" selected>"#), "the offer's form shows its policy")
                _ = try owner.get("/review")
                #expect(owner.page.contains("Nothing waits for review."))
                var request = ConversionRequest(offerID: nil, orderID: "R-1", amount: Money(minorUnits: 5_000, currency: .usd), source: .shopify,
                                                codes: [member.promoCode!], now: Int64(Date().timeIntervalSince1970 * 1000))
                request.couponSite = "retailmenot.com"
                guard case .created(let held) = try await ConversionRecorder(store: server.store).record(request) else {
                    Issue.record("the order was not recorded")
                    return
                }
                #expect(held.review == .held)
                _ = try owner.get("/review")
                #expect(owner.page.contains("R-1") && owner.page.contains("retailmenot.com"), "\(owner.page)")

                _ = try owner.get("/conversions/\(held.id)")
                #expect(owner.page.contains("id=\"conversion-review\">held") && owner.page.contains("leaked_code"))
                let submission = try #require(PageClient.capture(#"name="submission" value="([^"]+)""#, in: owner.page))
                let unexplained = try owner.post("/conversions/\(held.id)/review", [("verdict", "approve"), ("reason", " "), ("submission", submission)])
                #expect(unexplained.status == 422 && owner.page.contains("Say why"))
                #expect(try await server.store.conversion(id: held.id)?.review == .held, "nothing decided without a reason")
                let decided = try owner.post("/conversions/\(held.id)/review",
                                             [("verdict", "approve"), ("reason", "a customer Alice sent"), ("submission", submission)])
                #expect(decided.status == 303)
                _ = try owner.get("/conversions/\(held.id)")
                #expect(owner.page.contains("id=\"conversion-review\">approved"))
                #expect(owner.page.contains("owner@example.com") && owner.page.contains("a customer Alice sent"), "the log says who and why")
                let approved = try #require(try await server.store.conversion(id: held.id))
                #expect(approved.commissions.allSatisfy { $0.status != .held })
                _ = try owner.get("/review")
                #expect(owner.page.contains("Nothing waits for review."))
            }
        }

        @Test func aBadValueIsRefusedAtItsFieldAndADoubleSubmitPaysOnce() async throws {
            try await withServer { server in
                let owner = try await Self.signedIn(server, "owner@example.com", .owner)
                _ = try owner.get("/offers/new?type=promo_code")
                let refused = try owner.post("/offers/new", [
                    ("type", "promo_code"), ("name", "Autumn codes"), ("payout_type", "percent"), ("payout_value", "150"),
                    ("discount_type", "percent"), ("discount_value", "15"), ("naming_strategy", "name_discount"),
                ])
                #expect(refused.status == 422)
                #expect(owner.page.contains("id=\"payout_value-error\""), "the message is at the payout field")
                #expect(owner.page.contains("value=\"Autumn codes\"") && owner.page.contains("value=\"150\""), "what was typed is kept")
                #expect(try await server.store.offers(OfferQuery(text: "Autumn", now: Int64(Date().timeIntervalSince1970 * 1000))).isEmpty, "nothing is half-done")

                // What brands and partners type is shown as text, never as markup.
                let (created, _) = try HTTP.json(port: server.adminPort, "POST", "/v1/offers", token: server.adminKey, body: [
                    "name": "<script>alert(1)</script>", "payout": ["type": "percent", "value": 5], "destination_url": "https://shop.example.com/",
                ])
                #expect(created == 201)
                _ = try owner.get("/dashboard")
                #expect(owner.page.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !owner.page.contains("<script>alert(1)"))

                // A sale for Alice, then Send Payment clicked twice.
                _ = try await server.store.updateOffer(id: 1) { $0.holdDays = 0 }
                let token = try #require(try await server.store.offer(id: 1)?.postbackToken)
                let click = try #require(try HTTP.get(port: server.edgePort, "/haircare/abc123").clickID)
                _ = try await server.waitUntil(seconds: 3) { try server.store.backend.storedClickCount() == 1 }
                #expect(try HTTP.json(port: server.adminPort, "GET", "/v1/postback?token=\(token)&clk=\(click)&order_id=P-1&amount=50.00", token: nil).status == 201)
                _ = try owner.get("/offers/1/pay")
                #expect(owner.page.contains("5.00"), "the confirmation shows the total")
                let submission = try #require(PageClient.capture(#"name="submission" value="([^"]+)""#, in: owner.page))
                let form = [("offer_id", "1"), ("scope", "all"), ("submission", submission)]
                let firstClick = try owner.post("/payments", form)
                let secondClick = try owner.post("/payments", form)
                #expect(firstClick.status == 303 && secondClick.header("Location") == firstClick.header("Location"))
                let (_, payments) = try HTTP.json(port: server.adminPort, "GET", "/v1/payments", token: server.adminKey)
                #expect((payments["items"] as? [[String: Any]])?.count == 1)
            }
        }

        @Test func aPartnerSignsInByEmailAndSeesOnlyItselfAndItsChildren() async throws {
            try await withServer { server in
                let partner = PageClient(port: server.adminPort)
                #expect(try partner.get("/partner").header("Location") == "/partner/signin?next=/partner")
                _ = try partner.get("/partner/signin")
                #expect(try partner.post("/partner/signin", [("email", "alice@example.com")]).status == 200)
                #expect(partner.page.contains("alice@example.com"))
                #expect(try partner.post("/partner/signin", [("email", "nobody@example.com")]).status == 200, "says nothing of who exists")
                let message = try #require(try await server.store.outbox(OutboxQuery(includeSignInMessages: true)).first { $0.to == "alice@example.com" })
                let path = try #require(PageClient.capture(#"http://[^/\s]+(/partner/signin/cll_[a-z0-9]+)"#, in: message.body))
                #expect(try partner.get(path).status == 200)
                #expect(try partner.post(path, []).header("Location") == "/partner")
                #expect(try partner.get("/partner").status == 200)
                #expect(partner.page.contains("Haircare summer sale"))

                // Itself and its child Ben; not Chloe, not an offer it is not in, not the brand's console.
                #expect(try partner.get("/partner/stats?partner=ben7").status == 200)
                #expect(partner.page.contains("Ben Ortiz"))
                #expect(try partner.get("/partner/stats?partner=chloe").status == 404)
                let chloesOffer = try #require(try await server.store.offers(OfferQuery(text: "Spring", now: Int64(Date().timeIntervalSince1970 * 1000))).first)
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                if try await server.store.member(offerID: chloesOffer.id, partnerID: alice.id) == nil {
                    #expect(try partner.get("/partner/offers/\(chloesOffer.id)").status == 404)
                }
                #expect(try partner.get("/partner/offers/1").status == 200)
                #expect(try partner.get("/dashboard").header("Location") == "/login?next=/dashboard")
                #expect(try partner.get("/partner/links?link=haircare&for=chloe").status == 422)
                #expect(partner.page.contains("only for yourself and your direct referral partners"))
                #expect(try partner.get("/partner/links?link=haircare&for=ben7&ad=insta").status == 200)
                #expect(partner.page.contains("/haircare/abc123.ben7/insta"))

                // Create Ad: a bad date at its field, then the ad.
                _ = try partner.get("/partner/ads")
                #expect(try partner.post("/partner/ads", [("name", "Story swipe"), ("media_type", "video"), ("starts_at", "2026-13-01")]).status == 422)
                #expect(partner.page.contains("id=\"starts_at-error\"") && partner.page.contains("value=\"Story swipe\""))
                #expect(try partner.post("/partner/ads", [("name", "Story swipe"), ("media_type", "video"), ("starts_at", "2026-12-01")])
                    .header("Location") == "/partner/ads?created=story-swipe")
                #expect(try await server.store.ads(partnerID: alice.id).contains { $0.code.value == "story-swipe" && $0.mediaType == "video" })

                // Its sessions, one of which it ends.
                #expect(try partner.get("/partner/sessions").status == 200)
                let key = try #require(PageClient.capture(#"name="key" value="([0-9a-f]+)""#, in: partner.page))
                #expect(try partner.post("/sessions/revoke", [("key", key)]).status == 303)
                #expect(try partner.get("/partner").header("Location") == "/partner/signin?next=/partner")
            }
        }

        @Test func theLiveStreamSendsAReportEverySecond() async throws {
            try await withServer { server in
                #expect(try HTTP.get(port: server.adminPort, "/v1/ops/live/stream").status == 401)
                _ = try HTTP.get(port: server.edgePort, "/haircare/abc123")
                let connection = try RawConnection(port: server.adminPort, timeout: 5)
                try connection.send("GET /v1/ops/live/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.opsKey)\r\n\r\n")
                var text = ""
                let deadline = ContinuousClock.now + .seconds(5)
                while text.components(separatedBy: "event: live").count < 3 && ContinuousClock.now < deadline {
                    text += String(decoding: try connection.receiveAvailable(), as: UTF8.self)
                }
                #expect(text.contains("text/event-stream"))
                #expect(text.components(separatedBy: "event: live").count >= 3, "two reports within five seconds")
                #expect(text.contains("\"clicks_per_second\""))
            }
        }
        /// A member's dashboard, with a sale, a partial payment and a reversal.
        @Test func aMembersDashboardShowsItsCommissionAndPayments() async throws {
            try await withServer { server in
                let alice = try #require(try await server.store.partner(code: Code("abc123")!))
                _ = try await server.store.updateOffer(id: 1) { $0.holdDays = 0 }
                let token = try #require(try await server.store.offer(id: 1)?.postbackToken)
                var clicks: [ClickID] = []
                for _ in 0..<3 { clicks.append(try #require(try HTTP.get(port: server.edgePort, "/haircare/abc123").clickID)) }
                _ = try await server.waitUntil(seconds: 3) { try server.store.backend.storedClickCount() == 3 }
                for (index, amount) in ["80.00", "45.50", "10.00"].enumerated() {
                    let (status, _) = try HTTP.json(port: server.adminPort, "GET",
                                                    "/v1/postback?token=\(token)&clk=\(clicks[index])&order_id=D-\(index)&amount=\(amount)", token: nil)
                    #expect(status == 201)
                }
                // Pay the first two (8.00 + 4.55), then refund the third (1.00, unpaid).
                let (paid, _) = try HTTP.json(port: server.adminPort, "POST", "/v1/payments", token: server.adminKey,
                                              body: ["partner_ids": [alice.id], "reference": "May"])
                #expect(paid == 201)
                let (_, fresh) = try HTTP.json(port: server.adminPort, "GET",
                                               "/v1/postback?token=\(token)&clk=\(clicks[2])&order_id=D-3&amount=20.00", token: nil)
                let (_, _) = try HTTP.json(port: server.adminPort, "POST", "/v1/conversions/\(fresh["id"] as? Int ?? 0)/reverse",
                                           token: server.adminKey, body: [String: Any]())
                let member = try #require(try await server.store.member(offerID: 1, partnerID: alice.id))

                let (status, dashboard) = try HTTP.json(port: server.adminPort, "GET", "/v1/dashboard/\(member.dashboardToken)", token: nil)
                #expect(status == 200)
                #expect(dashboard["paid_commission"] as? Int == 1_355, "8.00 + 4.55 + 1.00: the first payment paid all three")
                #expect(dashboard["expected_commission"] as? Int == 0, "the refunded 2.00 was never earned")
                #expect((dashboard["payments"] as? [[String: Any]])?.first?["amount"] as? Int == 1_355)
                #expect((dashboard["conversions"] as? [[String: Any]])?.count == 4)
                #expect((dashboard["commission_structure"] as? String)?.contains("10% of each sale") == true)
                #expect(dashboard["tracking_url"] as? String == "http://localhost:\(server.edgePort)/haircare/abc123")
                #expect(try HTTP.get(port: server.adminPort, "/v1/dashboard/cld_unknown").status == 404)
                #expect(try HTTP.get(port: server.adminPort, "/p/cld_unknown").status == 404)
                let page = try HTTP.get(port: server.adminPort, "/p/\(member.dashboardToken)")
                #expect(page.status == 200)
                #expect(page.text.contains("13.55"))
            }
        }
    }
}
