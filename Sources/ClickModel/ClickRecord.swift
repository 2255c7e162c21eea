/// How a click counts. Exactly one per click.
public enum ClickOutcome: UInt8, Sendable, BitwiseCopyable, CaseIterable, CustomStringConvertible {
    /// Offer and membership active: credited to the partner (or its child).
    case billable = 0
    /// The link is known but the partner is unknown or not a member of the offer.
    case unattributed = 1
    /// Offer paused, expired, archived or not started, or the membership inactive.
    case inactive = 2
    /// A HEAD request, a prefetch, or a known bot or link previewer. Never billable;
    /// the attribution it would have had is still recorded, with the reason.
    case bot = 3
    /// Past a click cap of the link (SPEC section 12): sent to the cap's fallback URL. Never billable.
    case capped = 4
    /// The link's `expires_at` has passed: sent to its expired URL, else the
    /// offer's fallback URL. Never billable.
    case expired = 5
    /// Would have been billable, but failed a quality check (SPEC section 14):
    /// past the address cap, or from a hosting network (`ClickQuality` says which).
    /// Set by the aggregator, not the edge. Never billable.
    case invalid = 6

    public var description: String {
        switch self {
        case .billable: "billable"
        case .unattributed: "unattributed"
        case .inactive: "inactive"
        case .bot: "bot"
        case .capped: "capped"
        case .expired: "expired"
        case .invalid: "invalid"
        }
    }
}

/// Facts about a click beside its outcome.
public struct ClickFlags: OptionSet, Sendable, BitwiseCopyable, Hashable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The URL named a child that is not a direct child of the partner; the partner got the credit.
    public static let invalidChild = ClickFlags(rawValue: 1 << 0)
    /// The URL named an ad the partner does not own; the click counts without an ad.
    public static let unknownAd = ClickFlags(rawValue: 1 << 1)
    /// The first billable click of this client for this link and credited partner on this UTC day.
    /// Set by the aggregator, not the edge.
    public static let unique = ClickFlags(rawValue: 1 << 2)
    /// The click has at least one of `sub1`...`sub5`; they travel beside the
    /// record (see `ClickChannel`).
    public static let hasSubIDs = ClickFlags(rawValue: 1 << 3)
    /// The shopper was sent to a fallback URL: the offer's, because it is
    /// inactive, or the expired link's.
    public static let usedFallback = ClickFlags(rawValue: 1 << 4)
}

/// The `sub1`...`sub5` query parameters of a click, each cut to 64 bytes, in
/// a fixed-size value so that recording them allocates nothing.
public struct SubIDs: Sendable, BitwiseCopyable {
    /// How many sub ids there are.
    public static let count = 5
    /// The longest sub id, in bytes; longer ones are cut (at a UTF-8 character boundary).
    public static let maxLength = 64

    @usableFromInline var bytes: InlineArray<320, UInt8>
    @usableFromInline var lengths: InlineArray<5, UInt8>

    @inlinable
    public init() {
        bytes = .init(repeating: 0)
        lengths = .init(repeating: 0)
    }

    /// Sub id `index` (0 for `sub1`) as bytes; empty when absent.
    @inlinable
    public func withBytes<R>(of index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let length = Int(lengths[index])
        return withUnsafeBytes(of: bytes) { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[(index * Self.maxLength)..<(index * Self.maxLength + length)]))
        }
    }

    /// Sub id `index` (0 for `sub1`), or nil when absent.
    public func value(_ index: Int) -> String? {
        guard lengths[index] > 0 else { return nil }
        return withBytes(of: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Clears sub id `index`.
    @inlinable
    public mutating func reset(_ index: Int) { lengths[index] = 0 }

    /// Appends one byte to sub id `index`. Returns false once it holds 64 bytes.
    @inlinable @discardableResult
    public mutating func append(_ byte: UInt8, to index: Int) -> Bool {
        let length = Int(lengths[index])
        guard length < Self.maxLength else { return false }
        bytes[index * Self.maxLength + length] = byte
        lengths[index] = UInt8(length + 1)
        return true
    }

    /// Drops a UTF-8 sequence cut short at the end of sub id `index`, so every
    /// stored value is valid UTF-8 whenever its input was.
    @inlinable
    public mutating func trimPartialCharacter(_ index: Int) {
        var length = Int(lengths[index])
        guard length > 0 else { return }
        // Walk back over continuation bytes to the last lead byte.
        var lead = length - 1
        while lead > 0 && bytes[index * Self.maxLength + lead] & 0xC0 == 0x80 { lead -= 1 }
        let first = bytes[index * Self.maxLength + lead]
        let needed = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
        if length - lead < needed { length = lead }
        lengths[index] = UInt8(length)
    }

    /// Replaces each byte that is not part of well-formed UTF-8 (RFC 3629: no
    /// overlong forms, surrogates or code points past U+10FFFF) with `?`, so
    /// that a sub id read back as text is as long as what was stored.
    @inlinable
    public mutating func replaceInvalidUTF8(_ index: Int) {
        let base = index * Self.maxLength, length = Int(lengths[index])
        var i = 0
        while i < length {
            let lead = bytes[base + i]
            let width = lead < 0x80 ? 1 : (0xC2...0xDF).contains(lead) ? 2 : (0xE0...0xEF).contains(lead) ? 3 : (0xF0...0xF4).contains(lead) ? 4 : 0
            var valid = width > 0 && i + width <= length
            if valid && width > 1 {
                for k in 1..<width where bytes[base + i + k] & 0xC0 != 0x80 { valid = false }
                let second = bytes[base + i + 1]
                if (lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F)
                    || (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F) {
                    valid = false
                }
            }
            if valid {
                i += width
            } else {
                bytes[base + i] = UInt8(ascii: "?")
                i += 1
            }
        }
    }

    /// Sets sub id `index` from a string (tests and the store), cut to 64 bytes.
    public mutating func set(_ index: Int, _ value: String) {
        reset(index)
        for byte in value.utf8 where !append(byte, to: index) { break }
        trimPartialCharacter(index)
    }

    /// Whether any sub id is present.
    @inlinable
    public var isEmpty: Bool {
        lengths[0] | lengths[1] | lengths[2] | lengths[3] | lengths[4] == 0
    }
}

/// One click, as the edge records it into its ring: a fixed-size value of 64
/// bytes (63 used), so that making one allocates nothing and the aggregator
/// streams through them. Id fields hold the store's row ids; 0 means none. A click's
/// sub ids, when it has any (`flags` says so), travel beside it.
public struct ClickRecord: Sendable, BitwiseCopyable {
    /// The click id; its time is the click's time.
    public var id: ClickID
    /// A salted hash of the client's address and user agent (uniqueness, fraud checks).
    public var clientHash: UInt64
    /// The client's network (an IPv4 address, an IPv6 /64): address caps and hosting networks.
    public var network: ClientNetwork
    public var offerID: UInt32
    public var linkID: UInt32
    /// The partner who gets the credit: the child when the URL named a valid one.
    public var creditedPartnerID: UInt32
    /// The partner whose code is in the URL, when known.
    public var generatingPartnerID: UInt32
    public var adID: UInt32
    public var outcome: ClickOutcome
    public var flags: ClickFlags
    public var botReason: BotReason
    /// The edge worker that served the click.
    public var workerID: UInt8
    /// The link rule that chose the destination, plus one; 0 when none did.
    public var rule: UInt8
    /// The variant of that rule's split (0 for a rule with one destination).
    public var variant: UInt8
    /// The client's country, when a country database knows it.
    public var country: CountryCode
    /// The visitor's device classes from its user agent (`DeviceClass.bit`s; an iPhone is ios and mobile).
    public var devices: UInt16
    /// Why an `invalid` click is (set by the aggregator's checks).
    public var quality: ClickQuality

    @inlinable
    public init(
        id: ClickID, clientHash: UInt64 = 0, offerID: UInt32 = 0, linkID: UInt32 = 0,
        creditedPartnerID: UInt32 = 0, generatingPartnerID: UInt32 = 0, adID: UInt32 = 0,
        outcome: ClickOutcome = .billable, flags: ClickFlags = [], botReason: BotReason = .none,
        workerID: UInt8 = 0, rule: UInt8 = 0, variant: UInt8 = 0, country: CountryCode = .none, devices: UInt16 = 0,
        network: ClientNetwork = .none, quality: ClickQuality = []
    ) {
        self.id = id
        self.clientHash = clientHash
        self.network = network
        self.quality = quality
        self.offerID = offerID
        self.linkID = linkID
        self.creditedPartnerID = creditedPartnerID
        self.generatingPartnerID = generatingPartnerID
        self.adID = adID
        self.outcome = outcome
        self.flags = flags
        self.botReason = botReason
        self.workerID = workerID
        self.rule = rule
        self.variant = variant
        self.country = country
        self.devices = devices
    }

    /// Milliseconds since the Unix epoch.
    @inlinable
    public var milliseconds: UInt64 { id.milliseconds }
}
