import ClickModel
import Domain
import Testing

@Suite("Clicks by country and device")
struct TrafficReportTests {
    @Test func aVisitorCountsUnderEachOfItsDeviceClassesAndTheUnknownComeLast() {
        var byDevice = TrafficSums(by: .device)
        let iPhone = DeviceClass.ios.bit | DeviceClass.mobile.bit
        byDevice.add(country: 0, devices: iPhone, clicks: 5, billable: 4)
        byDevice.add(country: 0, devices: DeviceClass.android.bit | DeviceClass.mobile.bit, clicks: 2, billable: 2, conversions: 1)
        byDevice.add(country: 0, devices: 0, clicks: 9)
        byDevice.add(country: 0, devices: iPhone, conversions: 2)
        #expect(byDevice.items == [
            TrafficRow(key: "mobile", clicks: 7, billable: 6, conversions: 3),
            TrafficRow(key: "ios", clicks: 5, billable: 4, conversions: 2),
            TrafficRow(key: "android", clicks: 2, billable: 2, conversions: 1),
            TrafficRow(key: nil, clicks: 9, billable: 0, conversions: 0),
        ])
    }

    @Test func countriesAreTheirCodesAndDevicesDoNotSplitThem() {
        var byCountry = TrafficSums(by: .country)
        byCountry.add(country: CountryCode("CA")!.rawValue, devices: DeviceClass.ios.bit | DeviceClass.mobile.bit, clicks: 3)
        byCountry.add(country: CountryCode("CA")!.rawValue, devices: 0, clicks: 1, conversions: 1)
        byCountry.add(country: CountryCode("FR")!.rawValue, devices: 0, clicks: 4)
        #expect(byCountry.items == [TrafficRow(key: "CA", clicks: 4, conversions: 1), TrafficRow(key: "FR", clicks: 4)])
    }
}
