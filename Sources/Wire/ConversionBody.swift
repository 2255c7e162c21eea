import ClickModel
import Domain
import Foundation

/// A conversion as the API shows it (SPEC section 5's shape, plus its
/// attribution record).
package struct ConversionBody: Encodable {
    package let conversion: Conversion

    package init(conversion: Conversion) {
        self.conversion = conversion
    }

    package struct CommissionBody: Encodable {
        var id: Int64
        var partner_id: UInt32
        var amount: Int64
        var kind: String
        var status: String
        var available_at: String
        var payment_id: Int64?
        var reverses_id: Int64?

        package init(_ line: Commission) {
            id = line.id
            partner_id = line.partnerID
            amount = line.amount.minorUnits
            kind = line.kind.rawValue
            status = line.status.rawValue
            available_at = Timestamp.format(line.availableAt)
            payment_id = line.paymentID
            reverses_id = line.reversesID
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(partner_id, forKey: .partner_id)
            try c.encode(amount, forKey: .amount)
            try c.encode(kind, forKey: .kind)
            try c.encode(status, forKey: .status)
            try c.encode(available_at, forKey: .available_at)
            try c.encode(payment_id, forKey: .payment_id)
            try c.encode(reverses_id, forKey: .reverses_id)
        }

        enum CodingKeys: String, CodingKey { case id, partner_id, amount, kind, status, available_at, payment_id, reverses_id }
    }

    /// The candidates as stored, with the click's time as an RFC 3339 string.
    struct CandidatesBody: Encodable {
        struct ClickBody: Encodable {
            var click_id: String
            var found: Bool
            var partner_id: UInt32?
            var clicked_at: String?
            var billable: Bool

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(click_id, forKey: .click_id)
                try c.encode(found, forKey: .found)
                try c.encode(partner_id, forKey: .partner_id)
                try c.encode(clicked_at, forKey: .clicked_at)
                try c.encode(billable, forKey: .billable)
            }

            enum CodingKeys: String, CodingKey { case click_id, found, partner_id, clicked_at, billable }
        }

        var code: AttributionCandidates.CodeCandidate?
        var click: ClickBody?

        init(_ candidates: AttributionCandidates) {
            code = candidates.code
            click = candidates.click.map { click in
                ClickBody(click_id: click.clickID, found: click.found, partner_id: click.found && click.partnerID != 0 ? click.partnerID : nil,
                          clicked_at: click.found ? Timestamp.format(click.clickedAt) : nil, billable: click.billable)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(code, forKey: .code)
            try c.encode(click, forKey: .click)
        }

        enum CodingKeys: String, CodingKey { case code, click }
    }

    struct AttributionBody: Encodable {
        var candidates: CandidatesBody
        var policy: String
        var winner: String
        var partner_id: UInt32?
        var reason: String
    }

    enum CodingKeys: String, CodingKey {
        case id, offer_id, partner_id, order_id, amount, currency, status, event, source, click_id
        case sub1, sub2, sub3, sub4, sub5, commissions, attribution, created_at, reversed_at, flags, review, review_log
    }

    /// An entry of `review_log`: who decided what, when, and why.
    struct ReviewEntryBody: Encodable {
        let entry: ReviewEntry

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(entry.decision.rawValue, forKey: .decision)
            try c.encode(entry.reason, forKey: .reason)
            try c.encode(entry.by, forKey: .by)
            try c.encode(Timestamp.format(entry.at), forKey: .at)
        }

        enum CodingKeys: String, CodingKey { case decision, reason, by, at }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(conversion.id, forKey: .id)
        try c.encode(conversion.offerID, forKey: .offer_id)
        try c.encode(conversion.partnerID, forKey: .partner_id)
        try c.encode(conversion.orderID, forKey: .order_id)
        try c.encode(conversion.amount.minorUnits, forKey: .amount)
        try c.encode(conversion.amount.currency.code, forKey: .currency)
        try c.encode(conversion.status.rawValue, forKey: .status)
        try c.encode(conversion.event, forKey: .event)
        try c.encode(conversion.source.rawValue, forKey: .source)
        try c.encode(conversion.clickID, forKey: .click_id)
        for (index, key) in [CodingKeys.sub1, .sub2, .sub3, .sub4, .sub5].enumerated() {
            try c.encode(index < conversion.subIDs.count ? conversion.subIDs[index] : nil, forKey: key)
        }
        try c.encode(conversion.commissions.map(CommissionBody.init), forKey: .commissions)
        try c.encode(AttributionBody(candidates: CandidatesBody(conversion.candidates), policy: conversion.decision.policy.rawValue,
                                     winner: conversion.decision.winner.rawValue, partner_id: conversion.decision.partnerID,
                                     reason: conversion.decision.reason), forKey: .attribution)
        try c.encode(Timestamp.format(conversion.createdAt), forKey: .created_at)
        try c.encode(Timestamp.format(conversion.reversedAt), forKey: .reversed_at)
        try c.encode(conversion.flags, forKey: .flags)
        try c.encode(conversion.review?.rawValue, forKey: .review)
        try c.encode(conversion.reviewLog.map(ReviewEntryBody.init), forKey: .review_log)
    }
}
