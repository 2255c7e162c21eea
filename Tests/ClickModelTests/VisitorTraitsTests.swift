import ClickModel
import Testing

/// Device, browser and language as link rules read them from a request.
@Suite("A visitor's device, browser and language")
struct VisitorTraitsTests {
    static func classify(_ agent: String) -> (devices: Set<DeviceClass>, browser: BrowserClass?) {
        let (bits, browser) = withBytes(agent) { VisitorTraits.classify(userAgent: $0) }
        return (Set(DeviceClass.allCases.filter { bits & $0.bit != 0 }), browser)
    }

    @Test(arguments: [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
         [DeviceClass.ios, .mobile], BrowserClass.safari),
        ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
         [.ios, .tablet], .chrome),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
         [.android, .mobile], .chrome),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Safari/537.36",
         [.android, .tablet], .samsung),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
         [.desktop, .windows], .edge),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
         [.desktop, .macos], .safari),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", [.desktop, .linux], .firefox),
        ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
         [.desktop, .chromeos], .chrome),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 337.0.3.23.54 (iPhone15,3; iOS 17_5; en_US; en; scale=3.00; 1290x2796; 614254270)",
         [.ios, .mobile], .instagram),
        ("Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/471.0.0.35.86;]",
         [.android, .mobile], .facebook),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US",
         [.ios, .mobile], .tiktok),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
         [.desktop, .windows], nil),
        ("curl/8.5.0", [.desktop], nil),
        // Apps' own HTTP clients on Apple systems: a Mac names its processor, a phone does not.
        ("App/0 CFNetwork/1240.0.4 Darwin/20.6.0", [.ios], nil),
        ("MyApp/1.0 CFNetwork/893.13.1 Darwin/17.3.0 (x86_64)", [.desktop, .macos], nil),
        // Windows on a handheld is a phone, not the windows class; older desktop Windows is.
        ("Mozilla/4.0 (compatible; MSIE 6.0; Windows CE; IEMobile 7.11) Sprint Treo850e", [.mobile], nil),
        ("iTunes/12.7.1 (Windows; Microsoft Windows 7 Ultimate Edition Service Pack 1 (Build 7601)) AppleWebKit/7604.3005.2001.1",
         [.desktop, .windows], nil),
    ] as [(String, [DeviceClass], BrowserClass?)])
    func userAgentsAreClassified(agent: String, devices: [DeviceClass], browser: BrowserClass?) {
        let result = Self.classify(agent)
        #expect(result.devices == Set(devices))
        #expect(result.browser == browser)
    }

    static func language(_ header: String) -> String {
        let packed = withBytes(header) { VisitorTraits.preferredLanguage($0) }
        var bytes: [UInt8] = []
        var rest = packed
        while rest != 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test(arguments: [
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr"),
        ("en;q=0.5, de", "de"),  // the highest q wins, not the first
        ("da, en-GB;q=0.8, en;q=0.7", "da"),
        ("es;q=0, pt-BR;q=0.3", "pt"),  // q=0 means "not this one"
        ("EN-us", "en"),
        ("*", ""),
        ("", ""),
        ("x-klingon, fr;q=0.2", "fr"),  // a private-use tag is not a language
        ("de;q=0.8, it;q=0.80", "de"),  // a tie goes to the first
        ("nl;q=garbage", ""),
    ])
    func thePreferredLanguageHonoursQ(header: String, expected: String) {
        #expect(Self.language(header) == expected)
    }
}
