/// What link rules ask of a visitor that its request tells: the device and
/// browser from `User-Agent`, the preferred language from `Accept-Language`.
/// Read from raw bytes in one pass each, allocating nothing.
public enum VisitorTraits {
    // MARK: device and browser

    /// The tokens a user agent is classified by, case-sensitive as browsers
    /// send them. Order matters only for `Token`'s raw values.
    @usableFromInline
    static let tokens: [String] = [
        "iPhone", "iPad", "iPod", "Android", "Mobile", "Macintosh", "CrOS", "Linux", "X11",
        "Chrome/", "CriOS/", "Safari/", "Firefox/", "FxiOS/", "Edg/", "EdgA/", "EdgiOS/", "Edge/", "SamsungBrowser/",
        "Instagram", "FBAN/", "FBAV/", "FB_IAB", "musical_ly", "BytedanceWebview", "TikTok", "Tablet", "Windows Phone",
        "OPR/", "Kindle", "Silk/", "YaBrowser/", "UCBrowser/", "Opera", "Chromium/",
        "Windows", "Win9", "WinNT", "WindowsPhone", "Windows CE", "WindowsCE", "IEMobile", "Windows Mobile",
        "iOS", "Mac OS X", "Mac_PowerPC", "Darwin/", "x86_64", "i386", "QQBrowser",
    ]

    @usableFromInline
    enum Token: Int {
        case iPhone, iPad, iPod, android, mobile, macintosh, crOS, linux, x11
        case chrome, criOS, safari, firefox, fxiOS, edg, edgA, edgiOS, edge, samsung
        case instagram, fban, fbav, fbIAB, musically, bytedance, tiktok, tablet, windowsPhone
        case opr, kindle, silk, yandex, uc, opera, chromium
        case windows, win9, winNT, windowsPhoneJoined, windowsCE, windowsCEJoined, ieMobile, windowsMobile
        case iOS, macOSX, macPowerPC, darwin, x86_64, i386, qqBrowser
    }

    @usableFromInline
    static let table = PatternSet(tokens)

    /// The longest user agent read; the rest is ignored.
    public static let maxUserAgentScan = 512

    /// The device classes of a user agent, as a bit set of `DeviceClass` bits
    /// (an iPhone is ios and mobile), and its browser, if it is one of ours.
    @inlinable
    public static func classify(userAgent: UnsafeRawBufferPointer) -> (devices: UInt16, browser: BrowserClass?) {
        let found = table.scan(userAgent, limit: maxUserAgentScan)
        @inline(__always) func has(_ token: Token) -> Bool { found & (1 << UInt64(token.rawValue)) != 0 }

        // Windows on phones and handhelds (Windows Phone, Mobile, CE) is not the windows class.
        let windowsPhone = has(.windowsPhone) || has(.windowsPhoneJoined) || has(.windowsCE) || has(.windowsCEJoined)
            || has(.ieMobile) || has(.windowsMobile)
        let appleDevice = !windowsPhone && (has(.iPhone) || has(.iPad) || has(.iPod))
        let android = !windowsPhone && has(.android)
        // An app's own HTTP client on Apple systems says only CFNetwork and Darwin: a Mac names its processor.
        let darwin = !appleDevice && !android && has(.darwin)
        let darwinMac = darwin && (has(.x86_64) || has(.i386) || has(.macintosh))
        let apple = appleDevice || (darwin && !darwinMac) || (!android && !windowsPhone && !has(.macOSX) && has(.iOS))
        let tablet = has(.iPad) || (android && !has(.mobile)) || has(.tablet) || has(.kindle) || has(.silk)
        let mobile = !tablet && (windowsPhone || has(.iPhone) || has(.iPod) || android || has(.mobile))
        var devices: UInt16 = 0
        if apple { devices |= DeviceClass.ios.bit }
        if android { devices |= DeviceClass.android.bit }
        if tablet { devices |= DeviceClass.tablet.bit }
        if mobile { devices |= DeviceClass.mobile.bit }
        if !tablet && !mobile && !apple {
            devices |= DeviceClass.desktop.bit
            if has(.crOS) {
                devices |= DeviceClass.chromeos.bit
            } else if has(.windows) || has(.win9) || has(.winNT) {
                devices |= DeviceClass.windows.bit
            } else if has(.macintosh) || has(.macOSX) || has(.macPowerPC) || darwinMac {
                devices |= DeviceClass.macos.bit
            } else if has(.linux) || has(.x11) {
                devices |= DeviceClass.linux.bit
            }
        }

        let browser: BrowserClass?
        if has(.instagram) {
            browser = .instagram
        } else if has(.fban) || has(.fbav) || has(.fbIAB) {
            browser = .facebook
        } else if has(.musically) || has(.bytedance) || has(.tiktok) {
            browser = .tiktok
        } else if has(.samsung) {
            browser = .samsung
        } else if has(.edg) || has(.edgA) || has(.edgiOS) || has(.edge) {
            browser = .edge
        } else if has(.opr) || has(.yandex) || has(.uc) || has(.opera) || has(.silk) || has(.qqBrowser) {
            browser = nil  // browsers of their own that also say Chrome or Safari
        } else if has(.firefox) || has(.fxiOS) {
            browser = .firefox
        } else if has(.chrome) || has(.criOS) || has(.chromium) {
            browser = .chrome
        } else if has(.safari) && (has(.iPhone) || has(.iPad) || has(.iPod) || has(.macintosh)) {
            browser = .safari
        } else {
            browser = nil
        }
        return (devices, browser)
    }

    // MARK: language

    /// The shopper's preferred language in `Accept-Language`: the primary tag
    /// of the entry with the highest `q` above 0 (the first on a tie), packed
    /// by `packLanguage`; 0 when there is none (empty, only `*`, malformed).
    @inlinable
    public static func preferredLanguage(_ header: UnsafeRawBufferPointer) -> UInt32 {
        var best: UInt32 = 0
        var bestQ = 0  // thousandths
        var i = 0
        let count = min(header.count, 512)
        while i < count {
            // One entry: tag [; q=value] up to the next comma.
            while i < count && (header[i] == UInt8(ascii: " ") || header[i] == UInt8(ascii: ",")) { i += 1 }
            var tag: UInt32 = 0
            var tagLength = 0
            var valid = true
            while i < count, header[i] != UInt8(ascii: "-"), header[i] != UInt8(ascii: ";"), header[i] != UInt8(ascii: ","),
                  header[i] != UInt8(ascii: " ") {
                let lower = header[i] | 0x20
                if lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") && tagLength < 3 {
                    tag = tag << 8 | UInt32(lower)
                } else {
                    valid = false
                }
                tagLength += 1
                i += 1
            }
            var q = 1000
            while i < count && header[i] != UInt8(ascii: ",") {
                if header[i] == UInt8(ascii: "q") && i + 1 < count && header[i + 1] == UInt8(ascii: "=") {
                    i += 2
                    q = parseQuality(header, &i, count)
                    continue
                }
                i += 1
            }
            if valid && tagLength >= 2 && q > bestQ {
                best = tag
                bestQ = q
            }
        }
        return best
    }

    /// A `q` value (0 to 1, up to three decimals) in thousandths; 0 when malformed.
    @inlinable
    static func parseQuality(_ header: UnsafeRawBufferPointer, _ i: inout Int, _ count: Int) -> Int {
        guard i < count else { return 0 }
        let first = header[i]
        guard first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return 0 }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        i += 1
        if i < count && header[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100
            while i < count, header[i] >= UInt8(ascii: "0"), header[i] <= UInt8(ascii: "9") {
                value += Int(header[i] - UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
            }
        }
        return min(value, 1000)
    }

    /// A validated primary language tag (`LinkRule.languageTag`) packed as the edge compares it.
    public static func packLanguage(_ tag: String) -> UInt32 {
        tag.utf8.reduce(0) { $0 << 8 | UInt32($1 | 0x20) }
    }
}

/// A fixed set of byte patterns found in one pass over a text: the bit set of
/// those that occur (at most 64 patterns).
@usableFromInline
struct PatternSet: Sendable {
    @usableFromInline let bytes: [UInt8]
    @usableFromInline let starts: [Int]  // pattern i is bytes[starts[i]..<starts[i + 1]]
    // The patterns starting with byte b are candidates[candidateStarts[b]..<candidateStarts[b + 1]].
    @usableFromInline let candidates: [Int]
    @usableFromInline let candidateStarts: [Int]

    init(_ patterns: [String]) {
        precondition(patterns.count <= 64)
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

    @inlinable
    func scan(_ text: UnsafeRawBufferPointer, limit: Int) -> UInt64 {
        let count = min(text.count, limit)
        guard count > 0 else { return 0 }
        var found: UInt64 = 0
        bytes.withUnsafeBufferPointer { bytes in
            starts.withUnsafeBufferPointer { starts in
                candidates.withUnsafeBufferPointer { candidates in
                    candidateStarts.withUnsafeBufferPointer { candidateStarts in
                        for i in 0..<count {
                            let first = Int(text[i])
                            var c = candidateStarts[first]
                            let end = candidateStarts[first + 1]
                            while c < end {
                                let pattern = candidates[c]
                                c += 1
                                let start = starts[pattern], length = starts[pattern + 1] - start
                                guard i + length <= count else { continue }
                                var j = 1
                                while j < length && text[i + j] == bytes[start + j] { j += 1 }
                                if j == length { found |= 1 << UInt64(pattern) }
                            }
                        }
                    }
                }
            }
        }
        return found
    }
}
