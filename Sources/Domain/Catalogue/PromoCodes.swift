import ClickModel

/// Makes members' promo codes by the offer's naming strategy. Codes are upper
/// case, in the tracking-code alphabet (`A-Z 0-9 - _`), at most 32 characters;
/// the store keeps them unique and asks again, with the next attempt, while a
/// code is taken.
public enum PromoCodes {
    /// Characters of random parts: no 0/O or 1/I, which people mistype.
    static let randomAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789".utf8)

    /// The maker for an offer's settings.
    public static func maker(for promo: PromoSettings?) -> @Sendable (Partner, Int) -> String {
        let promo = promo ?? PromoSettings()
        return { partner, attempt in make(promo, for: partner, attempt: attempt) }
    }

    /// - `name_discount`: the partner's first name and the discount (`JANE20`),
    ///   then `JANE20-2`, `JANE20-3` while taken, and random suffixes after ten tries.
    /// - `random`: `length` random characters.
    /// - `custom`: the prefix, a dash and `length` random characters.
    public static func make(_ promo: PromoSettings, for partner: Partner, attempt: Int) -> String {
        let length = promo.naming.length ?? 8
        switch promo.naming.strategy {
        case .random:
            return random(length)
        case .custom:
            let prefix = (promo.naming.prefix ?? "").uppercased()
            return clipped(prefix + "-" + random(length))
        case .nameDiscount:
            var base = firstName(partner.name)
            if base.isEmpty { base = partner.code.value.uppercased().filter { $0 != "-" && $0 != "_" } }
            if let prefix = promo.naming.prefix, !prefix.isEmpty { base = prefix.uppercased() + base }
            if let discount = promo.discount {
                switch discount.type {
                case .percent: base += String(discount.value)
                case .amount: base += discount.value % 100 == 0 ? String(discount.value / 100) : String(discount.value)
                }
            }
            base = String(base.prefix(24))
            switch attempt {
            case 0: return base
            case 1..<10: return base + "-\(attempt + 1)"
            default: return base + "-" + random(4)
            }
        }
    }

    /// The first word of a name, upper case, letters and digits of ASCII only
    /// (accents dropped), at most 16 characters.
    static func firstName(_ name: String) -> String {
        let word = name.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "." }).first.map(String.init) ?? ""
        let folded = word.applyingASCIIFolding()
        return String(String(decoding: folded.utf8.filter { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }, as: UTF8.self).prefix(16))
    }

    static func random(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<count).map { _ in randomAlphabet.randomElement(using: &generator)! }, as: UTF8.self)
    }

    static func clipped(_ code: String) -> String { String(code.prefix(CodeAlphabet.maxLength)) }

    /// A code the brand typed for a member: upper case, 3 to 32 characters of
    /// the tracking-code alphabet.
    public static func chosen(_ text: String, field: String) throws(DomainError) -> String {
        let code = text.trimmingSpaces().uppercased()
        guard code.utf8.count >= 3, code.utf8.count <= CodeAlphabet.maxLength, Code(code) != nil else {
            throw .invalid(field, "A code is 3 to 32 letters, digits, - or _, like JANE20.")
        }
        return code
    }

    /// The maker for an offer's settings that gives the partners in `chosen`
    /// their chosen code (with a number added if it turns out taken).
    public static func maker(for promo: PromoSettings?, chosen: [UInt32: String]) -> @Sendable (Partner, Int) -> String {
        let strategy = maker(for: promo)
        return { partner, attempt in
            guard let code = chosen[partner.id] else { return strategy(partner, attempt) }
            return attempt == 0 ? code : clipped(code.prefix(28) + "-\(attempt + 1)")
        }
    }
}

extension String {
    /// Upper case with the Latin accents taken off (`Zoë` → `ZOE`), dropping
    /// what has no ASCII letter.
    fileprivate func applyingASCIIFolding() -> String {
        var output = ""
        for scalar in self.uppercased().unicodeScalars {
            if scalar.isASCII {
                output.unicodeScalars.append(scalar)
            } else if let base = Self.latinBase[scalar] {
                output.append(base)
            }
        }
        return output
    }

    private static let latinBase: [Unicode.Scalar: Character] = {
        var table: [Unicode.Scalar: Character] = [:]
        let groups: [(Character, String)] = [
            ("A", "ÀÁÂÃÄÅĀĂĄ"), ("C", "ÇĆĈĊČ"), ("D", "ĎĐ"), ("E", "ÈÉÊËĒĔĖĘĚ"), ("G", "ĜĞĠĢ"), ("H", "ĤĦ"),
            ("I", "ÌÍÎÏĨĪĬĮİ"), ("J", "Ĵ"), ("K", "Ķ"), ("L", "ĹĻĽĿŁ"), ("N", "ÑŃŅŇ"), ("O", "ÒÓÔÕÖØŌŎŐ"),
            ("R", "ŔŖŘ"), ("S", "ŚŜŞŠ"), ("T", "ŢŤŦ"), ("U", "ÙÚÛÜŨŪŬŮŰŲ"), ("W", "Ŵ"), ("Y", "ÝŶŸ"), ("Z", "ŹŻŽ"),
        ]
        for (base, accented) in groups {
            for scalar in accented.unicodeScalars { table[scalar] = base }
        }
        return table
    }()
}

/// When a member's promo code credits an order: the one rule both the
/// conversion's attribution and a redemption apply.
public enum PromoRules {
    /// Why `member`'s code cannot be redeemed at `now` on `offer` (nil when
    /// the offer is gone), or nil when it can: the offer live, the membership
    /// live and its partner active, the offer's usage limit not reached.
    public static func refusal(of member: Member, in offer: Offer?, at now: Int64) -> PromoRefusal? {
        guard let offer, offer.isLive(at: now) else { return .offerNotLive }
        guard member.isLive(at: now), member.partner.status == .active else { return .memberNotLive }
        if let limit = offer.promo?.usageLimitPerCode, member.promoUses >= limit { return .usageLimitReached }
        return nil
    }
}
