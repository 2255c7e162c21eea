/// Why a click was classified as a bot, kept on the click so that counts can be
/// recomputed when the rules change. Values are stored; never renumber them.
public struct BotReason: RawRepresentable, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A person's click.
    public static let none = BotReason(rawValue: 0)
    /// A HEAD request: nobody follows a link with HEAD.
    public static let head = BotReason(rawValue: 1)
    /// `Sec-Purpose` or `Purpose` holding `prefetch`, `X-Purpose: preview` or `X-Moz: prefetch`.
    public static let prefetch = BotReason(rawValue: 2)
    /// The user agent matched `BotDetector.userAgentPatterns[rawValue - 16]`.
    @inlinable
    public static func userAgent(_ patternIndex: Int) -> BotReason {
        BotReason(rawValue: UInt8(16 + patternIndex))
    }

    public var isBot: Bool { rawValue != 0 }

    public var description: String {
        switch rawValue {
        case 0: "none"
        case 1: "head"
        case 2: "prefetch"
        case let value where value >= 16 && Int(value) - 16 < BotDetector.userAgentPatterns.count:
            "user_agent:" + BotDetector.userAgentPatterns[Int(value) - 16]
        default: "unknown(\(rawValue))"
        }
    }
}

/// Recognises requests that are not a person following a link: HEAD requests,
/// browser prefetches, and crawlers and link previewers by their user agent.
///
/// Matching is case-insensitive substring search over the raw header bytes and
/// allocates nothing.
public enum BotDetector {
    /// Lower-case fragments of the user agents of crawlers and link previewers.
    /// Append only: a click stores the index of the pattern that matched it.
    public static let userAgentPatterns: [String] = [
        "bot",                  // Slackbot, Twitterbot, Discordbot, LinkedInBot, TelegramBot, Googlebot, bingbot, Applebot...
        "facebookexternalhit",  // Facebook, Instagram and iMessage previews
        "facebot",
        "whatsapp",
        "imessage",
        "slack-imgproxy",
        "crawler",
        "spider",
        "preview",              // SkypeUriPreview, Google Web Preview...
        "embedly",
        "pinterest",
        "vkshare",
        "bitly",
        "redditbot",
        "yahoo! slurp",
        "headless",             // HeadlessChrome used as a scraper
    ]

    /// The patterns packed for one pass over a user agent: all bytes in one
    /// buffer, and for each possible first byte the patterns that start with it.
    @usableFromInline
    struct PatternTable: Sendable {
        @usableFromInline let bytes: [UInt8]
        @usableFromInline let starts: [Int]  // pattern i is bytes[starts[i]..<starts[i + 1]]
        // The patterns starting with byte b are candidates[candidateStarts[b]..<candidateStarts[b + 1]].
        @usableFromInline let candidates: [Int]
        @usableFromInline let candidateStarts: [Int]

        init(_ patterns: [String]) {
            var bytes: [UInt8] = []
            var starts: [Int] = []
            for pattern in patterns {
                starts.append(bytes.count)
                bytes += pattern.utf8
            }
            starts.append(bytes.count)
            var candidates: [Int] = []
            var candidateStarts: [Int] = []
            for byte in 0...255 {
                candidateStarts.append(candidates.count)
                candidates += patterns.indices.filter { patterns[$0].utf8.first == UInt8(byte) }
            }
            candidateStarts.append(candidates.count)
            self.bytes = bytes
            self.starts = starts
            self.candidates = candidates
            self.candidateStarts = candidateStarts
        }
    }

    @usableFromInline
    static let table = PatternTable(userAgentPatterns)

    /// Only this many bytes of a user agent are searched.
    public static let maxUserAgentScan = 512

    /// The reason a request is a bot, or `.none` for a person.
    ///
    /// - Parameters:
    ///   - isHead: the method was HEAD.
    ///   - isPrefetch: a purpose header asked for a prefetch or preview (see `isPrefetchPurpose`).
    ///   - userAgent: the User-Agent header's value, empty when absent.
    @inlinable
    public static func classify(isHead: Bool, isPrefetch: Bool, userAgent: UnsafeRawBufferPointer) -> BotReason {
        if isHead { return .head }
        if isPrefetch { return .prefetch }
        if let index = matchUserAgent(userAgent) { return .userAgent(index) }
        return .none
    }

    /// The index of the pattern that occurs first in the user agent, ignoring case.
    /// One pass over the user agent; at each byte only the patterns starting with
    /// it are compared.
    @inlinable
    public static func matchUserAgent(_ userAgent: UnsafeRawBufferPointer) -> Int? {
        let count = min(userAgent.count, maxUserAgentScan)
        guard count > 0 else { return nil }
        let table = Self.table
        return table.bytes.withUnsafeBufferPointer { bytes in
            table.starts.withUnsafeBufferPointer { starts in
                table.candidates.withUnsafeBufferPointer { candidates in
                    table.candidateStarts.withUnsafeBufferPointer { candidateStarts -> Int? in
                        for i in 0..<count {
                            let first = Int(lower(userAgent[i]))
                            var c = candidateStarts[first]
                            let end = candidateStarts[first + 1]
                            while c < end {
                                let pattern = candidates[c]
                                c += 1
                                let start = starts[pattern], length = starts[pattern + 1] - start
                                guard i + length <= count else { continue }
                                var j = 1
                                while j < length && lower(userAgent[i + j]) == bytes[start + j] { j += 1 }
                                if j == length { return pattern }
                            }
                        }
                        return nil
                    }
                }
            }
        }
    }

    @inlinable
    static func contains(_ haystack: UnsafeRawBufferPointer, pattern: StaticString) -> Bool {
        let needle = UnsafeRawBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        let n = needle.count
        guard n <= haystack.count else { return false }
        var i = 0
        while i <= haystack.count - n {
            var j = 0
            while j < n && lower(haystack[i + j]) == needle[j] { j += 1 }
            if j == n { return true }
            i += 1
        }
        return false
    }

    @inlinable @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
    }

    /// Whether a `Sec-Purpose`, `Purpose`, `X-Purpose` or `X-Moz` value asks for
    /// a prefetch or a preview.
    @inlinable
    public static func isPrefetchPurpose(_ value: UnsafeRawBufferPointer) -> Bool {
        contains(value, pattern: "prefetch") || contains(value, pattern: "preview")
    }
}
