import ClickModel
import Testing

@Suite("Sub ids from the query")
struct QueryStringTests {
    func subIDs(_ query: String) -> SubIDs {
        var subIDs = SubIDs()
        withBytes(query) { bytes in
            QueryString.forEachParameter(bytes) { parameter, name in
                guard let index = QueryString.subIDIndex(name.bytes(in: bytes)) else { return }
                let valueStart = min(Int(name.end) + 1, Int(parameter.end))
                QueryString.storeSubID(ByteRange(valueStart, Int(parameter.end)).bytes(in: bytes), index: index, into: &subIDs)
            }
        }
        return subIDs
    }

    @Test func allFiveAreRead() {
        let s = subIDs("sub1=a&sub2=b&x=1&sub3=c&sub4=d&sub5=e&sub6=f")
        #expect((0..<5).map { s.value($0) } == ["a", "b", "c", "d", "e"])
        #expect(!s.isEmpty)
    }

    @Test func valuesArePercentDecodedAndPlusIsASpace() {
        let s = subIDs("sub1=spring+sale%21&s%75b2=%E6%9D%B1")
        #expect(s.value(0) == "spring sale!")
        #expect(s.value(1) == "東")
    }

    @Test func longValuesAreCutAtSixtyFourBytesOnACharacterBoundary() {
        let s = subIDs("sub1=\(String(repeating: "x", count: 100))&sub2=\(String(repeating: "x", count: 63))é")
        #expect(s.value(0) == String(repeating: "x", count: 64))
        #expect(s.value(1) == String(repeating: "x", count: 63), "a two-byte character that does not fit is left out whole")
    }

    @Test func absentOrEmptyAreNil() {
        let s = subIDs("sub1=&sub3")
        #expect(s.value(0) == nil)
        #expect(s.value(2) == nil)
        #expect(s.isEmpty)
    }

    @Test func laterValueWins() {
        #expect(subIDs("sub1=first&sub1=second").value(0) == "second")
    }

    @Test(arguments: ["SUB1", "sub0", "sub12", "sub", "xsub1"])
    func otherNamesAreNotSubIDs(name: String) {
        #expect(withBytes(name) { QueryString.subIDIndex($0) } == nil)
    }
}
