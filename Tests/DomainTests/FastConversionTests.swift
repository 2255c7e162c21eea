import Domain
import Testing

@Suite("Fast conversions")
struct FastConversionTests {
    let check = FastConversion(minimumMilliseconds: 10_000)

    @Test func aConversionSoonAfterItsClickIsFlaggedWithTheTimes() {
        #expect(check.flag(clickedAt: 1_000, convertedAt: 4_200) == QualityFlag(code: "fast_conversion", detail: "converted 3.2 s after its click, under 10.0 s"))
        #expect(check.flag(clickedAt: 1_000, convertedAt: 10_999)?.code == "fast_conversion")
    }

    @Test func aShopperAtHumanSpeedOrWithoutAClickIsNot() {
        #expect(check.flag(clickedAt: 1_000, convertedAt: 11_000) == nil, "ten seconds is not under ten")
        #expect(check.flag(clickedAt: nil, convertedAt: 5_000) == nil)
        #expect(FastConversion(minimumMilliseconds: 0).flag(clickedAt: 1_000, convertedAt: 1_001) == nil, "0 turns it off")
    }
}
