import Domain
import Testing

@Suite("Redemption spikes")
struct RedemptionSpikeTests {
    let spike = RedemptionSpike(factor: 10, minimumOrders: 20)

    @Test func aBurstOnAQuietCodeIsASpike() {
        let quiet = Array(repeating: 0, count: 100) + Array(repeating: 2, count: 68)
        #expect(spike.isSpike(orders: 20, trailing: quiet))
        #expect(!spike.isSpike(orders: 19, trailing: quiet), "fewer than the minimum is never a spike")
    }

    @Test func steadyUseIsNot() {
        let steady = Array(repeating: 30, count: 168)
        #expect(!spike.isSpike(orders: 45, trailing: steady))
        #expect(!spike.isSpike(orders: 299, trailing: steady))
        #expect(spike.isSpike(orders: 300, trailing: steady), "ten times the median hour")
    }

    @Test func theMedianIgnoresAFewBusyHours() {
        // A launch day of 200 an hour for 10 hours does not raise the usual hour of a 3-an-hour code.
        let history = Array(repeating: 3, count: 158) + Array(repeating: 200, count: 10)
        #expect(spike.isSpike(orders: 30, trailing: history))
    }

    @Test func aCodeWithLessThanADayOfHistoryIsNotJudged() {
        #expect(!spike.isSpike(orders: 500, trailing: Array(repeating: 0, count: 23)))
        #expect(spike.isSpike(orders: 500, trailing: Array(repeating: 0, count: 24)))
    }
}

@Suite("Leaked codes: new customers without a click")
struct NewCustomerSignalTests {
    typealias Counts = NewCustomerSignal.Counts

    @Test func aSuddenDayOfNewCustomersFires() {
        let signal = NewCustomerSignal(sharePercent: 80, minimumOrders: 10)
        #expect(signal.fires(recent: Counts(orders: 12, newWithoutClick: 11), before: Counts(orders: 48, newWithoutClick: 6)))
        #expect(signal.fires(recent: Counts(orders: 10, newWithoutClick: 8), before: Counts(orders: 10, newWithoutClick: 3)), "at the bounds")
    }

    @Test func whatIsUsualForTheCodeOrTooFewOrdersDoesNot() {
        let signal = NewCustomerSignal(sharePercent: 80, minimumOrders: 10)
        #expect(!signal.fires(recent: Counts(orders: 12, newWithoutClick: 12), before: Counts(orders: 48, newWithoutClick: 40)),
                "a podcast code: always new customers")
        #expect(!signal.fires(recent: Counts(orders: 9, newWithoutClick: 9), before: Counts(orders: 48, newWithoutClick: 0)), "too few")
        #expect(!signal.fires(recent: Counts(orders: 30, newWithoutClick: 30), before: Counts(orders: 9, newWithoutClick: 0)),
                "no history to judge by: a new code")
        #expect(!signal.fires(recent: Counts(orders: 10, newWithoutClick: 8), before: Counts(orders: 10, newWithoutClick: 4)),
                "the history already at half the threshold")
        #expect(!signal.fires(recent: Counts(orders: 20, newWithoutClick: 15), before: Counts(orders: 48, newWithoutClick: 0)), "75 % < 80 %")
        #expect(!NewCustomerSignal().fires(recent: Counts(orders: 100, newWithoutClick: 100), before: Counts(orders: 100, newWithoutClick: 0)),
                "off by default")
    }
}
