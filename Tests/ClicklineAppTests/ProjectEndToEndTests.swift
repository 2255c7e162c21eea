import ClicklineApp
import Foundation
import Testing

extension EndToEnd {
    @Suite("Projects and emails on a running server")
    struct ProjectEndToEndTests {
        /// The seed's workflow over HTTP, ending in real mail: members of an old
        /// custom stage land in a promo-code stage put behind it, get their
        /// codes, are emailed (previewed first), and a local SMTP server
        /// receives each one's own message.
        @Test func membersMoveThroughAProjectAndReceiveTheirCodesByEmail() async throws {
            let smtp = try LocalSMTPServer()
            defer { smtp.stop() }
            try await withServer(configure: {
                $0.smtpURL = "smtp://127.0.0.1:\(smtp.port)"
                $0.smtpFrom = "partners@shop.example"
            }, prepare: { _ in }) { server in
                func call(_ method: String, _ path: String, _ body: Any? = nil, expect: Int? = nil,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
                    let (status, json) = try HTTP.json(port: server.adminPort, method, path, token: server.adminKey, body: body)
                    if let expect {
                        #expect(status == expect, "\(method) \(path) answered \(status): \(json)", sourceLocation: sourceLocation)
                    } else {
                        #expect((200..<300).contains(status), "\(method) \(path) answered \(status): \(json)", sourceLocation: sourceLocation)
                    }
                    return json
                }
                func id(_ json: [String: Any]) throws -> Int { try #require(json["id"] as? Int) }

                let offer = try id(try call("POST", "/v1/offers", [
                    "name": "Spring codes", "type": "promo_code", "payout": ["type": "percent", "value": 10],
                    "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2027-02-28T00:00:00Z",
                    "promo": ["naming": ["strategy": "name_discount"], "discount": ["type": "percent", "value": 20]],
                ]))
                var partners: [String: Int] = [:]
                for (name, code, email) in [("Jane", "jane", "jane@example.org"), ("Zoë", "zoe", "zoe@example.org"),
                                            ("Rita", "rita", "refuse-rita@example.org"), ("Nick", "nick", nil)] {
                    var body: [String: Any] = ["name": name, "code": code]
                    if let email { body["email"] = email }
                    partners[code] = try id(try call("POST", "/v1/partners", body))
                }
                let all = ["jane", "zoe", "rita", "nick"].compactMap { partners[$0] }

                let project = try call("POST", "/v1/projects", ["name": "Spring recruiting", "stages": [["name": "Vetting", "kind": "custom"]]])
                let projectID = try id(project)
                let vetting = try #require((project["stages"] as? [[String: Any]])?.first?["id"] as? Int)
                _ = try call("POST", "/v1/projects/\(projectID)/members", ["partner_ids": all])
                let codes = try id(try call("POST", "/v1/projects/\(projectID)/stages",
                                            ["name": "Codes", "kind": "generate_promo_codes", "offer_id": offer, "position": 1]))
                let deleted = try call("DELETE", "/v1/projects/\(projectID)/stages/\(vetting)")
                #expect(deleted["moved_to"] as? Int == codes && deleted["moved_members"] as? Int == 4)
                let generated = try call("POST", "/v1/projects/\(projectID)/stages/\(codes)/generate", [String: Any](), expect: 201)
                let codesByPartner = Dictionary(uniqueKeysWithValues: ((generated["members"] as? [[String: Any]]) ?? []).compactMap { member in
                    (member["partner_id"] as? Int).map { ($0, member["promo_code"] as? String ?? "") }
                })
                #expect(codesByPartner[partners["jane"]!] == "JANE20" && codesByPartner[partners["zoe"]!] == "ZOE20")

                // Preview: one message per member, with its own code and dates; nothing queued.
                let template: [String: Any] = [
                    "subject": "{{name}}, your code {{promo_code}}",
                    "body": "Hello {{name}},\n\nyour code {{promo_code}} works from {{starts_at}}{{#ends_at}} until {{ends_at}}{{/ends_at}}.\n"
                        + ".\nYour page: {{dashboard_url}}\n",
                ]
                let preview = try call("POST", "/v1/projects/\(projectID)/stages/\(codes)/emails", template.merging(["preview": true]) { a, _ in a })
                let previews = try #require(preview["messages"] as? [[String: Any]])
                #expect(previews.count == 4 && previews.allSatisfy { $0["status"] as? String == "preview" })
                let janePreview = try #require(previews.first { $0["partner_id"] as? Int == partners["jane"] })
                #expect(janePreview["subject"] as? String == "Jane, your code JANE20")
                #expect((janePreview["body"] as? String)?.contains("works from 2026-12-01 until 2027-02-28.") == true)
                #expect((try call("GET", "/v1/outbox")["items"] as? [Any])?.isEmpty == true, "a preview queues nothing")

                // Sending: queued for those with an address, delivered over SMTP.
                let sent = try call("POST", "/v1/projects/\(projectID)/stages/\(codes)/emails", template, expect: 201)
                let statuses = Dictionary(uniqueKeysWithValues: ((sent["messages"] as? [[String: Any]]) ?? []).compactMap { message in
                    (message["partner_id"] as? Int).map { ($0, message["status"] as? String ?? "") }
                })
                #expect(statuses == [partners["jane"]!: "queued", partners["zoe"]!: "queued", partners["rita"]!: "queued",
                                     partners["nick"]!: "no_address"])
                let settled = try await server.waitUntil(seconds: 10) {
                    let items = (try call("GET", "/v1/outbox")["items"] as? [[String: Any]]) ?? []
                    return items.count == 3 && items.allSatisfy { $0["status"] as? String != "queued" }
                }
                #expect(settled != nil, "the outbox was not delivered within 10 s")
                let outbox = (try call("GET", "/v1/outbox")["items"] as? [[String: Any]]) ?? []
                let byPartner = Dictionary(uniqueKeysWithValues: outbox.compactMap { item in (item["partner_id"] as? Int).map { ($0, item) } })
                #expect(byPartner[partners["jane"]!]?["status"] as? String == "sent")
                #expect(byPartner[partners["zoe"]!]?["status"] as? String == "sent")
                #expect(byPartner[partners["rita"]!]?["status"] as? String == "failed", "a 550 is not tried again")
                #expect((byPartner[partners["rita"]!]?["last_error"] as? String)?.contains("550") == true)
                #expect((try call("GET", "/v1/outbox?status=failed")["items"] as? [Any])?.count == 1)

                // What the mail server got: each member's own message.
                let received = smtp.received
                #expect(received.count == 2)
                let jane = try #require(received.first { $0.to == ["jane@example.org"] })
                #expect(jane.from == "partners@shop.example")
                #expect(jane.headers["subject"] == "Jane, your code JANE20")
                #expect(jane.body.contains("Hello Jane,\r\n\r\nyour code JANE20 works from 2026-12-01 until 2027-02-28.\r\n.\r\nYour page: http"))
                let zoe = try #require(received.first { $0.to == ["zoe@example.org"] })
                #expect(zoe.headers["subject"]?.hasPrefix("=?UTF-8?B?") == true, "a non-ASCII subject goes as an encoded word")
                #expect(zoe.body.contains("Hello Zoë,") && zoe.body.contains("ZOE20") && !zoe.body.contains("JANE20"))
                let dashboard = try #require(zoe.body.components(separatedBy: "Your page: ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
                let page = try #require(URL(string: dashboard)?.path)
                #expect(page.hasPrefix("/p/cld_"))
                #expect(try HTTP.get(port: server.adminPort, page).status == 200, "the emailed dashboard URL opens Zoë's page")
            }
        }
    }
}
