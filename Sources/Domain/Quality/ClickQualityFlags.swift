import ClickModel

extension InvalidClickRules {
    /// Why a stored click is suspect, as its `flags` show it (SPEC section
    /// 14): the reasons of a `bot` outcome and of an `invalid` one. A client
    /// is named by its address group (today's `--address-group-v4`/`-v6`),
    /// never by its whole address.
    public func flags(of click: ClickRecord) -> [QualityFlag] {
        var flags: [QualityFlag] = []
        if let bot = Self.flag(click.botReason) { flags.append(bot) }
        if click.quality.contains(.datacenter) {
            flags.append(QualityFlag(code: "datacenter", detail: "from \(groupName(click.network)), in a hosting network of --datacenter-ranges"))
        }
        if click.quality.contains(.addressCap) {
            flags.append(QualityFlag(code: "address_cap",
                                     detail: "past the --address-click-cap billable clicks from \(groupName(click.network)) on link \(click.linkID) that UTC day"))
        }
        return flags
    }

    /// `203.0.113.0/24`, `2001:db8:1::/48`: the address group a network falls in.
    func groupName(_ network: ClientNetwork) -> String {
        guard network != .none else { return "an unknown address" }
        let group = network.group(v4Prefix: v4Prefix, v6Prefix: v6Prefix)
        return "\(group.address)/\(network.isV4 ? v4Prefix : min(v6Prefix, 64))"
    }

    /// A bot reason as a flag, each its own code, so that a brand can tell a
    /// headless browser from a link preview.
    static func flag(_ reason: BotReason) -> QualityFlag? {
        switch reason {
        case .none: return nil
        case .head: return QualityFlag(code: "head_request", detail: "a HEAD request: nobody follows a link with HEAD")
        case .prefetch: return QualityFlag(code: "prefetch", detail: "a browser prefetch or link preview, not a visit")
        default:
            let index = Int(reason.rawValue) - 16
            guard BotDetector.userAgentPatterns.indices.contains(index) else {
                return QualityFlag(code: "bot_user_agent", detail: "a bot by a rule this version does not know (\(reason.rawValue))")
            }
            let pattern = BotDetector.userAgentPatterns[index]
            if pattern == "headless" {
                return QualityFlag(code: "headless_browser", detail: "the user agent names a headless browser")
            }
            return QualityFlag(code: "bot_user_agent", detail: "the user agent contains \"\(pattern)\"")
        }
    }
}
