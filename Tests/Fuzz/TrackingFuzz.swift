// libFuzzer target for the tracking-URL decoder and the Location builder,
// built with ClickModel's sources into one module (scripts/fuzz):
//
//   swiftc -sanitize=fuzzer,address -parse-as-library Tests/Fuzz/TrackingFuzz.swift Sources/ClickModel/*.swift
//
// The first input byte picks a registered destination; the rest is a request
// target. What must hold for every input: decoding stays inside the target
// and yields codes of the alphabet; a Location holds only visible ASCII, fits
// the length the edge reserves for it, is the destination with parameters
// before its fragment, and carries the click id exactly once.

let destinations: [Destination] = [
    "https://shop.example.com/collections/haircare?utm_source=clickline",
    "https://shop.example.com/products/shampoo#reviews",
    "http://example.org/",
    "https://a.example/p?a=1&b=%20x#top",
].map { try! Destination(validating: $0) }

let clickID: ClickID = {
    var ids = ClickIDGenerator(node: 1, worker: 2)
    return ids.next(milliseconds: 1_790_000_000_000)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let destination = destinations[Int(data[0]) % destinations.count]
    let target = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    guard case .tracking(let path) = TrackingTarget.parse(target) else { return 0 }

    for range in [path.link, path.partner] + [path.child, path.ad].compactMap({ $0 }) {
        precondition(range.start <= range.end && Int(range.end) <= target.count, "a code outside the target")
        let code = range.bytes(in: target)
        precondition((1...CodeAlphabet.maxLength).contains(code.count), "a code of \(code.count) bytes")
        precondition(CodeAlphabet.isCode(code), "a code byte outside the alphabet")
    }
    let query = path.query.map { $0.bytes(in: target) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
    precondition(query.count <= target.count)

    var subIDs = SubIDs()
    QueryString.storeSubIDs(query, into: &subIDs)
    for index in 0..<5 { precondition((subIDs.value(index)?.utf8.count ?? 0) <= 64, "a sub id over 64 bytes") }

    let url = Array(destination.url.utf8)
    let clickParameter = Array("clk".utf8)
    let capacity = LocationBuilder.maxLength(destinationCount: url.count, queryCount: query.count, clickParameterCount: clickParameter.count)
    let output = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
    defer { output.deallocate() }
    var writer = ByteWriter(base: output, capacity: capacity)
    url.withUnsafeBytes { destinationBytes in
        clickParameter.withUnsafeBytes { parameter in
            LocationBuilder.append(destination: destinationBytes, fragmentOffset: destination.fragmentOffset,
                                   destinationHasQuery: destination.hasQuery, query: query, clickParameter: parameter,
                                   clickID: clickID, to: &writer)
        }
    }
    let location = Array(UnsafeRawBufferPointer(start: output, count: writer.count))
    precondition(location.count <= capacity, "the Location is longer than the room made for it")
    precondition(location.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "a byte that is not visible ASCII in the Location")
    precondition(location.starts(with: url[0..<destination.fragmentOffset]), "the Location does not start with the destination")
    precondition(location.suffix(url.count - destination.fragmentOffset).elementsEqual(url[destination.fragmentOffset...]),
                 "the destination's fragment is not at the end")
    precondition(occurrences(of: Array("clk=\(clickID)".utf8), in: location) == 1, "the click id is not there exactly once")
    return 0
}

func occurrences(of pattern: [UInt8], in bytes: [UInt8]) -> Int {
    guard bytes.count >= pattern.count else { return 0 }
    return (0...(bytes.count - pattern.count)).count { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
}
