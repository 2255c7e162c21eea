import ClickModel
import Store

/// A small demo brand for `clickline serve --demo` and `clickline demo-data`:
/// two link offers (one paused), their links, a parent partner with a child,
/// the parent's ads. Loading it twice changes nothing.
public enum DemoData {
    /// What the demo holds, for printing.
    public struct Summary: Sendable {
        public var trackingPath: String
        public var childTrackingPath: String
        public var partnerCode: String
        public var partnerToken: String
        public var createdNow: Bool
    }

    public static let parentCode = Code("abc123")!
    public static let childCode = Code("ben7")!

    /// Loads the demo unless it is there, and issues a new token for the demo
    /// partner (tokens are stored only as hashes, so the old one cannot be shown).
    public static func load(into store: any CatalogueWriter) throws -> Summary {
        var createdNow = false
        if try store.linkID(code: Code("haircare")!) == nil {
            createdNow = true
            let destination = try Destination(validating: "https://shop.example.com/collections/haircare?utm_source=clickline")
            let offer = try store.insertOffer(NewOffer(
                name: "Haircare summer sale", destination: destination,
                fallback: try Destination(validating: "https://shop.example.com/")))
            _ = try store.insertLink(offerID: offer, code: Code("haircare")!, destination: destination)
            _ = try store.insertLink(offerID: offer, code: Code("shampoo")!,
                                     destination: try Destination(validating: "https://shop.example.com/products/shampoo#reviews"))

            let paused = try store.insertOffer(NewOffer(
                name: "Winter collection", status: .paused,
                fallback: try Destination(validating: "https://shop.example.com/sale")))
            _ = try store.insertLink(offerID: paused, code: Code("winter")!,
                                     destination: try Destination(validating: "https://shop.example.com/collections/winter"))

            let alice = try store.insertPartner(NewPartner(name: "Alice Moreau", email: "alice@example.com", code: parentCode))
            let ben = try store.insertPartner(NewPartner(name: "Ben Ortiz", email: "ben@example.com", code: childCode, parentID: alice))
            _ = try store.insertPartner(NewPartner(name: "Chloe Stone", email: "chloe@example.com", code: Code("chloe")!))
            for partner in [alice, ben] {
                try store.upsertMembership(offerID: offer, partnerID: partner, status: .active)
                try store.upsertMembership(offerID: paused, partnerID: partner, status: .active)
            }
            _ = try store.insertAd(partnerID: alice, code: Code("website2")!, name: "Blog sidebar")
            _ = try store.insertAd(partnerID: alice, code: Code("insta")!, name: "Instagram bio")
        }
        guard let alice = try store.partnerID(code: parentCode) else {
            throw StoreError(.notFound, "the demo partner \(parentCode) is missing")
        }
        let token = Secrets.make(.partnerToken)
        try store.setPartnerTokenHash(partnerID: alice, hash: Secrets.hash(token))
        return Summary(
            trackingPath: "/haircare/\(parentCode)/website2",
            childTrackingPath: "/haircare/\(parentCode).\(childCode)",
            partnerCode: parentCode.value, partnerToken: token, createdNow: createdNow)
    }
}
