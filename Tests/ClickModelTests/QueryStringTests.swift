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

    /// Found by the fuzz target: bytes that are not UTF-8 came back as U+FFFD
    /// each, three bytes for one, so a sub id read back could pass 64 bytes.
    @Test func bytesThatAreNotUTF8BecomeQuestionMarks() {
        var bytes = Array("sub1=xlGpt".utf8) + Array(repeating: 0xFF, count: 10) + Array("d05,%aa0a".utf8) + [0xAF]
        bytes += Array(",%aa0a".utf8) + Array(repeating: 0xAF, count: 6)
        var stored = SubIDs()
        bytes.withUnsafeBytes { QueryString.storeSubIDs($0, into: &stored) }
        let value = stored.value(0)
        #expect(value == "xlGpt??????????d05,?0a?,?0a??????", "%aa is the byte AA, not UTF-8 on its own")
        #expect((value?.utf8.count ?? 0) <= SubIDs.maxLength)
        // Well-formed but forbidden forms: an overlong slash, a surrogate, past U+10FFFF; and a valid é around them.
        #expect(subIDs("sub2=%C3%A9%C0%AF%ED%A0%80%F4%90%80%80%C3%A9").value(1) == "é?????????é")
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
