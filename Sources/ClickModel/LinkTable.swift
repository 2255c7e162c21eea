/// An immutable, indexed snapshot of the catalogue: what the edge looks codes up
/// in. Built off the hot path from `CatalogData`; every lookup by code is O(1)
/// (open addressing over a byte arena) and allocates nothing.
///
/// Ownership: the table owns its memory and frees it in `deinit`. `view` holds
/// raw pointers into it, so the hot path does no reference counting; a holder
/// of a `View` must keep the `LinkTable` alive for as long as it uses the view.
/// Edge workers do that by keeping the table in the same worker that holds the
/// view and replacing both together on their own thread.
public final class LinkTable: @unchecked Sendable {
    /// The catalogue version this table was built from.
    public let version: Int64
    /// Lookups into this table; valid while the table lives.
    public let view: View

    public let linkCount: Int
    public let partnerCount: Int
    public let membershipCount: Int
    public let adCount: Int

    private let memory: [UnsafeMutableRawPointer]
    private let capsByLink: [UInt32: [LinkCap]]

    /// The caps of the link with this id; none for a link without caps or not in the table.
    public func caps(ofLink id: UInt32) -> [LinkCap] { capsByLink[id] ?? [] }

    /// Builds the table. Rows that refer to something missing (a link of an
    /// unknown offer, a membership of an unknown partner) are left out.
    ///
    /// - Parameter concurrently: runs the jobs it is given, side by side if it
    ///   can, and returns when all are done. The four hash indexes are built
    ///   as such jobs; at a million partners, members and ads that is most of
    ///   the work. By default they run one after the other.
    public init(_ data: CatalogData, version: Int64 = 0, concurrently: ([@Sendable () -> Void]) -> Void = { jobs in jobs.forEach { $0() } }) {
        var builder = Builder()
        builder.build(data)
        builder.buildIndexes(concurrently: concurrently)
        self.version = version
        self.linkCount = builder.links.count
        self.partnerCount = builder.partners.count
        self.membershipCount = builder.memberships.count
        self.adCount = builder.ads.count
        var memory: [UnsafeMutableRawPointer] = []
        func copy<T>(_ array: [T]) -> UnsafePointer<T> {
            let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(array.count, 1))
            array.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { pointer.initialize(from: base, count: source.count) }
            }
            memory.append(UnsafeMutableRawPointer(pointer))
            return UnsafePointer(pointer)
        }
        self.view = View(
            arena: copy(builder.arena), arenaCount: builder.arena.count,
            offers: copy(builder.offers),
            links: copy(builder.links), linkSlots: copy(builder.linkSlots), linkMask: builder.linkSlots.count - 1,
            partners: copy(builder.partners), partnerSlots: copy(builder.partnerSlots), partnerMask: builder.partnerSlots.count - 1,
            memberships: copy(builder.memberships), membershipSlots: copy(builder.membershipSlots),
            membershipMask: builder.membershipSlots.count - 1,
            ads: copy(builder.ads), adSlots: copy(builder.adSlots), adMask: builder.adSlots.count - 1,
            rules: copy(builder.rules), conditions: copy(builder.conditions), variants: copy(builder.variants),
            values: copy(builder.values), ranges: copy(builder.ranges), caps: copy(builder.caps)
        )
        self.memory = memory
        self.capsByLink = builder.capsByLink
    }

    /// An empty table: every link is unknown.
    public convenience init() { self.init(CatalogData()) }

    deinit {
        for pointer in memory { pointer.deallocate() }
    }
}

// MARK: - The view: lookups and the outcome table

extension LinkTable {
    /// Raw lookups into a `LinkTable`. A trivial value: copying it costs nothing
    /// and touches no reference count.
    public struct View: @unchecked Sendable, BitwiseCopyable {
        @usableFromInline let arena: UnsafePointer<UInt8>
        @usableFromInline let arenaCount: Int
        @usableFromInline let offers: UnsafePointer<OfferEntry>
        @usableFromInline let links: UnsafePointer<LinkEntry>
        @usableFromInline let linkSlots: UnsafePointer<UInt32>
        @usableFromInline let linkMask: Int
        @usableFromInline let partners: UnsafePointer<PartnerEntry>
        @usableFromInline let partnerSlots: UnsafePointer<UInt32>
        @usableFromInline let partnerMask: Int
        @usableFromInline let memberships: UnsafePointer<MembershipEntry>
        @usableFromInline let membershipSlots: UnsafePointer<UInt32>
        @usableFromInline let membershipMask: Int
        @usableFromInline let ads: UnsafePointer<AdEntry>
        @usableFromInline let adSlots: UnsafePointer<UInt32>
        @usableFromInline let adMask: Int
        @usableFromInline let rules: UnsafePointer<RuleEntry>
        @usableFromInline let conditions: UnsafePointer<ConditionEntry>
        @usableFromInline let variants: UnsafePointer<VariantEntry>
        @usableFromInline let values: UnsafePointer<UInt64>
        @usableFromInline let ranges: UnsafePointer<IPRange>
        @usableFromInline let caps: UnsafePointer<CapEntry>

        init(arena: UnsafePointer<UInt8>, arenaCount: Int, offers: UnsafePointer<OfferEntry>,
             links: UnsafePointer<LinkEntry>, linkSlots: UnsafePointer<UInt32>, linkMask: Int,
             partners: UnsafePointer<PartnerEntry>, partnerSlots: UnsafePointer<UInt32>, partnerMask: Int,
             memberships: UnsafePointer<MembershipEntry>, membershipSlots: UnsafePointer<UInt32>, membershipMask: Int,
             ads: UnsafePointer<AdEntry>, adSlots: UnsafePointer<UInt32>, adMask: Int,
             rules: UnsafePointer<RuleEntry>, conditions: UnsafePointer<ConditionEntry>, variants: UnsafePointer<VariantEntry>,
             values: UnsafePointer<UInt64>, ranges: UnsafePointer<IPRange>, caps: UnsafePointer<CapEntry>) {
            self.arena = arena
            self.arenaCount = arenaCount
            self.offers = offers
            self.links = links
            self.linkSlots = linkSlots
            self.linkMask = linkMask
            self.partners = partners
            self.partnerSlots = partnerSlots
            self.partnerMask = partnerMask
            self.memberships = memberships
            self.membershipSlots = membershipSlots
            self.membershipMask = membershipMask
            self.ads = ads
            self.adSlots = adSlots
            self.adMask = adMask
            self.rules = rules
            self.conditions = conditions
            self.variants = variants
            self.values = values
            self.ranges = ranges
            self.caps = caps
        }

        @usableFromInline
        struct OfferEntry: Sendable {
            @usableFromInline var id: UInt32
            @usableFromInline var status: OfferStatus
            @usableFromInline var startsAt: Int64
            @usableFromInline var endsAt: Int64
            @usableFromInline var fallback: URLRef  // length 0 when the offer has none
            @usableFromInline var clickParameter: BytesRef

            @inlinable @inline(__always)
            func isLive(at now: Int64) -> Bool { status == .active && startsAt <= now && now < endsAt }
        }

        @usableFromInline
        struct LinkEntry: Sendable {
            @usableFromInline var code: BytesRef
            @usableFromInline var id: UInt32
            @usableFromInline var offerIndex: UInt32
            @usableFromInline var destination: URLRef
            /// `Int64.max` when the link never expires.
            @usableFromInline var expiresAt: Int64
            @usableFromInline var expired: URLRef  // length 0 when the link has none
            /// The link's rules: `rules[ruleStart..<ruleStart + ruleCount]`.
            @usableFromInline var ruleStart: UInt32
            @usableFromInline var ruleCount: UInt32
            /// The link's caps: `caps[capStart..<capStart + capCount]`.
            @usableFromInline var capStart: UInt32
            @usableFromInline var capCount: UInt32
        }

        @usableFromInline
        struct PartnerEntry: Sendable {
            @usableFromInline var code: BytesRef
            @usableFromInline var id: UInt32
            @usableFromInline var parentID: UInt32  // 0 for none
            @usableFromInline var isActive: Bool
        }

        @usableFromInline
        struct MembershipEntry: Sendable {
            @usableFromInline var key: UInt64  // offerID << 32 | partnerID
            @usableFromInline var isActive: Bool
            @usableFromInline var startsAt: Int64
            @usableFromInline var endsAt: Int64

            @inlinable @inline(__always)
            func isLive(at now: Int64) -> Bool { isActive && startsAt <= now && now < endsAt }
        }

        @usableFromInline
        struct AdEntry: Sendable {
            @usableFromInline var code: BytesRef
            @usableFromInline var id: UInt32
            @usableFromInline var partnerID: UInt32
        }

        @usableFromInline
        struct BytesRef: Sendable {
            @usableFromInline var offset: UInt32
            @usableFromInline var count: UInt32
        }

        @usableFromInline
        struct URLRef: Sendable {
            @usableFromInline var bytes: BytesRef
            @usableFromInline var fragmentOffset: UInt32
            @usableFromInline var hasQuery: Bool
        }

        @inlinable @inline(__always)
        func bytes(_ ref: BytesRef) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: arena + Int(ref.offset), count: Int(ref.count))
        }

        // MARK: lookups

        /// The index of the link with this code, or -1.
        @inlinable
        public func linkIndex(_ code: UnsafeRawBufferPointer) -> Int {
            var slot = Int(truncatingIfNeeded: FastHash.foldedCode(code)) & linkMask
            while true {
                let entry = Int(linkSlots[slot])
                if entry == 0 { return -1 }
                if CodeAlphabet.equalFolded(bytes(links[entry - 1].code), code) { return entry - 1 }
                slot = (slot + 1) & linkMask
            }
        }

        /// The index of the partner with this code, or -1.
        @inlinable
        public func partnerIndex(_ code: UnsafeRawBufferPointer) -> Int {
            var slot = Int(truncatingIfNeeded: FastHash.foldedCode(code)) & partnerMask
            while true {
                let entry = Int(partnerSlots[slot])
                if entry == 0 { return -1 }
                if CodeAlphabet.equalFolded(bytes(partners[entry - 1].code), code) { return entry - 1 }
                slot = (slot + 1) & partnerMask
            }
        }

        /// The id of the ad with this code owned by this partner, or 0.
        @inlinable
        public func adID(partnerID: UInt32, code: UnsafeRawBufferPointer) -> UInt32 {
            var slot = Int(truncatingIfNeeded: FastHash.combine(FastHash.foldedCode(code), UInt64(partnerID))) & adMask
            while true {
                let entry = Int(adSlots[slot])
                if entry == 0 { return 0 }
                let ad = ads[entry - 1]
                if ad.partnerID == partnerID && CodeAlphabet.equalFolded(bytes(ad.code), code) { return ad.id }
                slot = (slot + 1) & adMask
            }
        }

        /// The index of the membership of this partner in this offer, or -1.
        @inlinable
        public func membershipIndex(offerID: UInt32, partnerID: UInt32) -> Int {
            let key = UInt64(offerID) << 32 | UInt64(partnerID)
            var slot = Int(truncatingIfNeeded: FastHash.mix(key)) & membershipMask
            while true {
                let entry = Int(membershipSlots[slot])
                if entry == 0 { return -1 }
                if memberships[entry - 1].key == key { return entry - 1 }
                slot = (slot + 1) & membershipMask
            }
        }

        // MARK: the outcome table (SPEC section 2)

        /// Decides how a tracking URL counts and where it goes, or nil when the
        /// link is unknown (404). Bots are classified apart: a bot's click is
        /// resolved exactly like a person's.
        ///
        /// - Parameters:
        ///   - path: the parsed URL; its ranges index `target`.
        ///   - target: the request target's bytes.
        ///   - now: milliseconds since the Unix epoch.
        @inlinable
        public func resolve(_ path: TrackingPath, in target: UnsafeRawBufferPointer, now: Int64) -> Resolution? {
            let linkIndex = linkIndex(path.link.bytes(in: target))
            guard linkIndex >= 0 else { return nil }
            let link = links[linkIndex]
            let offer = offers[Int(link.offerIndex)]
            var resolution = Resolution(linkIndex: Int32(linkIndex), linkID: link.id, offerID: offer.id)

            let partnerIndex = partnerIndex(path.partner.bytes(in: target))
            if partnerIndex >= 0 { resolution.generatingPartnerID = partners[partnerIndex].id }

            guard now < link.expiresAt else {
                resolution.outcome = .expired
                return resolution
            }
            guard offer.isLive(at: now) else {
                resolution.outcome = .inactive
                return resolution
            }
            guard partnerIndex >= 0 else {
                resolution.outcome = .unattributed
                return resolution
            }
            let partner = partners[partnerIndex]
            let membershipIndex = membershipIndex(offerID: offer.id, partnerID: partner.id)
            guard membershipIndex >= 0 else {
                resolution.outcome = .unattributed
                return resolution
            }
            guard partner.isActive && memberships[membershipIndex].isLive(at: now) else {
                resolution.outcome = .inactive
                return resolution
            }

            resolution.outcome = .billable
            resolution.creditedPartnerID = partner.id
            if let child = path.child {
                let childIndex = self.partnerIndex(child.bytes(in: target))
                if childIndex >= 0 && partners[childIndex].parentID == partner.id && partners[childIndex].isActive {
                    resolution.creditedPartnerID = partners[childIndex].id
                } else {
                    resolution.flags.insert(.invalidChild)
                }
            }
            if let ad = path.ad {
                let adID = self.adID(partnerID: partner.id, code: ad.bytes(in: target))
                if adID != 0 {
                    resolution.adID = adID
                } else {
                    resolution.flags.insert(.unknownAd)
                }
            }
            return resolution
        }

        /// Where a resolved click goes: for an expired link its expired URL,
        /// else the offer's fallback URL; for an inactive offer its fallback URL;
        /// either way the destination when there is none, and no click id.
        /// Otherwise the link's destination with the click id.
        @inlinable
        public func location(of resolution: Resolution) -> LocationParts {
            let link = links[Int(resolution.linkIndex)]
            let offer = offers[Int(link.offerIndex)]
            var url = link.destination
            var usesFallback = false
            let creditable = resolution.outcome != .inactive && resolution.outcome != .expired
            if resolution.outcome == .capped {
                let fallback = caps[Int(link.capStart) + Int(resolution.cap) - 1].fallback
                if fallback.bytes.count > 0 {
                    url = fallback
                    usesFallback = true
                } else if offer.fallback.bytes.count > 0 {
                    url = offer.fallback
                    usesFallback = true
                }
            } else if creditable && resolution.rule != 0 {
                let rule = rules[Int(link.ruleStart) + Int(resolution.rule) - 1]
                url = variants[Int(rule.variantStart) + Int(resolution.variant)].url
            } else if resolution.outcome == .expired && link.expired.bytes.count > 0 {
                url = link.expired
                usesFallback = true
            } else if !creditable && offer.fallback.bytes.count > 0 {
                url = offer.fallback
                usesFallback = true
            }
            return LocationParts(
                destination: bytes(url.bytes),
                fragmentOffset: Int(url.fragmentOffset),
                destinationHasQuery: url.hasQuery,
                clickParameter: bytes(offer.clickParameter),
                addsClickID: creditable,
                usesFallback: usesFallback
            )
        }
    }

    /// How a click counts, before bot classification.
    public struct Resolution: Sendable, BitwiseCopyable, Equatable {
        public var linkIndex: Int32
        public var linkID: UInt32
        public var offerID: UInt32
        public var outcome: ClickOutcome = .unattributed
        public var flags: ClickFlags = []
        public var creditedPartnerID: UInt32 = 0
        public var generatingPartnerID: UInt32 = 0
        public var adID: UInt32 = 0
        /// The link rule that chose the destination, plus one; 0 when none did.
        public var rule: UInt8 = 0
        /// The variant of that rule's split; 0 for a rule with one destination.
        public var variant: UInt8 = 0
        /// For a capped click, the cap that stopped it, plus one.
        public var cap: UInt8 = 0

        @inlinable
        public init(linkIndex: Int32, linkID: UInt32, offerID: UInt32) {
            self.linkIndex = linkIndex
            self.linkID = linkID
            self.offerID = offerID
        }
    }

    /// The pieces of a Location header; pointers into the table.
    public struct LocationParts {
        public var destination: UnsafeRawBufferPointer
        public var fragmentOffset: Int
        public var destinationHasQuery: Bool
        public var clickParameter: UnsafeRawBufferPointer
        public var addsClickID: Bool
        public var usesFallback: Bool

        @inlinable
        public init(destination: UnsafeRawBufferPointer, fragmentOffset: Int, destinationHasQuery: Bool,
                    clickParameter: UnsafeRawBufferPointer, addsClickID: Bool, usesFallback: Bool) {
            self.destination = destination
            self.fragmentOffset = fragmentOffset
            self.destinationHasQuery = destinationHasQuery
            self.clickParameter = clickParameter
            self.addsClickID = addsClickID
            self.usesFallback = usesFallback
        }
    }
}

// MARK: - Building

extension LinkTable {
    private struct Builder {
        typealias View = LinkTable.View
        var arena: [UInt8] = []
        var offers: [View.OfferEntry] = []
        var links: [View.LinkEntry] = []
        var linkSlots: [UInt32] = []
        var partners: [View.PartnerEntry] = []
        var partnerSlots: [UInt32] = []
        var memberships: [View.MembershipEntry] = []
        var membershipSlots: [UInt32] = []
        var ads: [View.AdEntry] = []
        var adSlots: [UInt32] = []
        var rules: [View.RuleEntry] = []
        var conditions: [View.ConditionEntry] = []
        var variants: [View.VariantEntry] = []
        var values: [UInt64] = []
        var ranges: [IPRange] = []
        var caps: [View.CapEntry] = []
        var capsByLink: [UInt32: [LinkCap]] = [:]

        mutating func build(_ data: CatalogData) {
            var offerIndex: [UInt32: UInt32] = [:]
            offers.reserveCapacity(data.offers.count)
            for offer in data.offers {
                offerIndex[offer.id] = UInt32(offers.count)
                offers.append(View.OfferEntry(
                    id: offer.id, status: offer.status,
                    startsAt: offer.startsAt ?? .min, endsAt: offer.endsAt ?? .max,
                    fallback: offer.fallback.map { store($0) } ?? View.URLRef(bytes: .init(offset: 0, count: 0), fragmentOffset: 0, hasQuery: false),
                    clickParameter: store(offer.clickParameter)
                ))
            }

            links.reserveCapacity(data.links.count)
            // Partner conditions name codes; the table compares ids.
            var partnerIDsByCode: [Code: UInt32] = [:]
            if data.links.contains(where: { !$0.rules.isEmpty }) || data.offers.contains(where: { !$0.linkDefaults.rules.isEmpty }) {
                for partner in data.partners { partnerIDsByCode[partner.code] = partner.id }
            }
            for link in data.links {
                guard let index = offerIndex[link.offerID] else { continue }
                let defaults = data.offers[Int(index)].linkDefaults
                let linkRules = defaults.rules(ofLinkWith: link.rules), linkCaps = defaults.caps(ofLinkWith: link.caps)
                let expiry = defaults.expiry(ofLinkWith: link.expiresAt, link.expiredDestination)
                let ruleStart = UInt32(rules.count)
                for rule in linkRules.prefix(LinkRule.maxRules) { compile(rule, partnerIDs: partnerIDsByCode) }
                let capStart = UInt32(caps.count)
                for cap in linkCaps.prefix(LinkCap.maxCaps) {
                    caps.append(View.CapEntry(
                        perPartner: cap.scope == .partner, daily: cap.period == .day, maxClicks: cap.maxClicks,
                        fallback: cap.fallback.map { store($0) } ?? View.URLRef(bytes: .init(offset: 0, count: 0), fragmentOffset: 0, hasQuery: false)))
                }
                if !linkCaps.isEmpty { capsByLink[link.id] = Array(linkCaps.prefix(LinkCap.maxCaps)) }
                links.append(View.LinkEntry(
                    code: store(link.code), id: link.id, offerIndex: index, destination: store(link.destination),
                    expiresAt: expiry.at ?? .max,
                    expired: expiry.destination.map { store($0) } ?? View.URLRef(bytes: .init(offset: 0, count: 0), fragmentOffset: 0, hasQuery: false),
                    ruleStart: ruleStart, ruleCount: UInt32(rules.count) - ruleStart,
                    capStart: capStart, capCount: UInt32(caps.count) - capStart))
            }

            // Which partner ids exist, as a bitmap: ids are the store's dense row ids.
            let maxPartnerID = data.partners.reduce(0) { max($0, Int($1.id)) }
            var partnerIDs = [UInt64](repeating: 0, count: maxPartnerID / 64 + 1)
            func isPartner(_ id: UInt32) -> Bool {
                Int(id) <= maxPartnerID && partnerIDs[Int(id) >> 6] & (1 << (UInt64(id) & 63)) != 0
            }
            partners.reserveCapacity(data.partners.count)
            for partner in data.partners {
                partnerIDs[Int(partner.id) >> 6] |= 1 << (UInt64(partner.id) & 63)
                partners.append(View.PartnerEntry(
                    code: store(partner.code), id: partner.id, parentID: partner.parentID ?? 0, isActive: partner.status == .active
                ))
            }

            memberships.reserveCapacity(data.memberships.count)
            for membership in data.memberships where offerIndex[membership.offerID] != nil && isPartner(membership.partnerID) {
                memberships.append(View.MembershipEntry(
                    key: UInt64(membership.offerID) << 32 | UInt64(membership.partnerID),
                    isActive: membership.status == .active,
                    startsAt: membership.startsAt ?? .min, endsAt: membership.endsAt ?? .max
                ))
            }

            ads.reserveCapacity(data.ads.count)
            for ad in data.ads where isPartner(ad.partnerID) {
                ads.append(View.AdEntry(code: store(ad.code), id: ad.id, partnerID: ad.partnerID))
            }
        }

        /// The hash indexes of links, partners, memberships and ads: four
        /// independent jobs, each reading the entries and writing its own slots.
        mutating func buildIndexes(concurrently: ([@Sendable () -> Void]) -> Void) {
            let (arena, links, partners, memberships, ads) = (arena, links, partners, memberships, ads)
            let slots = IndexSlots()
            concurrently([
                {
                    slots.links = Self.slots(count: links.count) { i in links[i].code.withHash(arena) { FastHash.foldedCode($0) } }
                },
                {
                    slots.partners = Self.slots(count: partners.count) { i in partners[i].code.withHash(arena) { FastHash.foldedCode($0) } }
                },
                {
                    slots.memberships = Self.slots(count: memberships.count) { i in FastHash.mix(memberships[i].key) }
                },
                {
                    slots.ads = Self.slots(count: ads.count) { i in
                        FastHash.combine(ads[i].code.withHash(arena) { FastHash.foldedCode($0) }, UInt64(ads[i].partnerID))
                    }
                },
            ])
            (linkSlots, partnerSlots, membershipSlots, adSlots) = (slots.links, slots.partners, slots.memberships, slots.ads)
        }

        /// An open-addressing index of `count` entries at most half full: each
        /// slot holds an entry's index plus one, 0 when empty. A key stored twice
        /// is found at its first entry, so the first row wins.
        static func slots(count: Int, hash: (Int) -> UInt64) -> [UInt32] {
            var capacity = 16
            while capacity < count * 2 { capacity <<= 1 }
            let mask = capacity - 1
            var slots = [UInt32](repeating: 0, count: capacity)
            for i in 0..<count {
                var slot = Int(truncatingIfNeeded: hash(i)) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = UInt32(i + 1)
            }
            return slots
        }

        mutating func store(_ text: String) -> View.BytesRef {
            let offset = arena.count
            arena.append(contentsOf: text.utf8)
            return View.BytesRef(offset: UInt32(offset), count: UInt32(arena.count - offset))
        }

        mutating func store(_ code: Code) -> View.BytesRef { store(code.value) }

        /// Appends one rule's entries. A partner code that names no partner
        /// matches nobody.
        mutating func compile(_ rule: LinkRule, partnerIDs: [Code: UInt32]) {
            let conditionStart = UInt32(conditions.count)
            for condition in rule.conditions {
                var entry: View.ConditionEntry
                func list(_ kind: View.ConditionKind, _ items: [UInt64]) -> View.ConditionEntry {
                    let start = UInt32(values.count)
                    values += items
                    return View.ConditionEntry(kind: kind, valueStart: start, valueCount: UInt32(items.count))
                }
                switch condition {
                case .device(let classes):
                    entry = View.ConditionEntry(kind: .device, mask: classes.reduce(0) { $0 | $1.bit })
                case .browser(let classes):
                    entry = View.ConditionEntry(kind: .browser, mask: classes.reduce(0) { $0 | $1.bit })
                case .country(let countries):
                    entry = list(.country, countries.map { UInt64($0.rawValue) })
                case .language(let tags):
                    entry = list(.language, tags.map { UInt64(VisitorTraits.packLanguage($0)) })
                case .partner(let codes):
                    entry = list(.partner, codes.compactMap { partnerIDs[$0].map(UInt64.init) })
                case .ip(let list):
                    entry = View.ConditionEntry(kind: .ip, valueStart: UInt32(ranges.count), valueCount: UInt32(list.count))
                    ranges += list
                case .query(let parameter, let equals):
                    entry = View.ConditionEntry(kind: .query)
                    entry.parameter = store(parameter)
                    if let equals {
                        entry.value = store(equals)
                        entry.hasValue = true
                    }
                case .before(let time):
                    entry = View.ConditionEntry(kind: .before, time: time)
                case .after(let time):
                    entry = View.ConditionEntry(kind: .after, time: time)
                }
                conditions.append(entry)
            }
            let variantStart = UInt32(variants.count)
            switch rule.target {
            case .destination(let destination):
                variants.append(View.VariantEntry(url: store(destination), upperBound: 100))
            case .split(let split):
                var bound = 0
                for variant in split {
                    bound += variant.weight
                    variants.append(View.VariantEntry(url: store(variant.destination), upperBound: UInt8(clamping: bound)))
                }
            }
            rules.append(View.RuleEntry(conditionStart: conditionStart, conditionCount: UInt32(conditions.count) - conditionStart,
                                        variantStart: variantStart, variantCount: UInt32(variants.count) - variantStart))
        }

        mutating func store(_ url: Destination) -> View.URLRef {
            View.URLRef(bytes: store(url.url), fragmentOffset: UInt32(url.fragmentOffset), hasQuery: url.hasQuery)
        }
    }
}

/// The four indexes while they are built: each job writes one field and no
/// job reads another's, and `concurrently` returns only when all are done.
private final class IndexSlots: @unchecked Sendable {
    var links: [UInt32] = []
    var partners: [UInt32] = []
    var memberships: [UInt32] = []
    var ads: [UInt32] = []
}

extension LinkTable.View.BytesRef {
    fileprivate func withHash(_ arena: [UInt8], _ body: (UnsafeRawBufferPointer) -> UInt64) -> UInt64 {
        arena.withUnsafeBytes { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[Int(offset)..<Int(offset + count)]))
        }
    }
}
