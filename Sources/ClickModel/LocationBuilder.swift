/// Builds the value of a redirect's Location header: a registered destination,
/// the incoming query's parameters (percent-encoded again, the click parameter
/// removed) and the click id under the offer's click parameter.
///
/// `https://shop.example/p?a=1#top` with `?x=1&clk=forged` gives
/// `https://shop.example/p?a=1&x=1&clk=01J...#top`.
public enum LocationBuilder {
    /// The most bytes `append` can write for these inputs; the edge makes room
    /// for this much before it calls `append`.
    @inlinable
    public static func maxLength(destinationCount: Int, queryCount: Int, clickParameterCount: Int) -> Int {
        destinationCount + 1 + 3 * queryCount + 1 + clickParameterCount + 1 + ClickID.textLength
    }

    /// Appends the Location value.
    ///
    /// - Parameters:
    ///   - destination: the registered URL's bytes.
    ///   - fragmentOffset: where in `destination` the fragment starts (its length when none).
    ///   - destinationHasQuery: whether `destination` already has a `?`.
    ///   - query: the incoming query, without `?` (empty when none).
    ///   - clickParameter: the offer's click parameter name, `clk` by default.
    ///   - clickID: the click id, or nil to add nothing (inactive offers).
    @inlinable
    public static func append(
        destination: UnsafeRawBufferPointer,
        fragmentOffset: Int,
        destinationHasQuery: Bool,
        query: UnsafeRawBufferPointer,
        clickParameter: UnsafeRawBufferPointer,
        clickID: ClickID?,
        to writer: inout ByteWriter
    ) {
        writer.append(UnsafeRawBufferPointer(rebasing: destination[0..<fragmentOffset]))
        var separator = destinationHasQuery ? UInt8(ascii: "&") : UInt8(ascii: "?")
        if query.count > 0 {
            QueryString.forEachParameter(query) { parameter, name in
                // The edge alone sets the click parameter.
                if QueryString.decodedName(name.bytes(in: query), equals: clickParameter) { return }
                writer.append(separator)
                separator = UInt8(ascii: "&")
                QueryString.appendEncoded(parameter.bytes(in: query), to: &writer)
            }
        }
        if let clickID {
            writer.append(separator)
            writer.append(clickParameter)
            writer.append(UInt8(ascii: "="))
            writer.append(clickID)
        }
        writer.append(UnsafeRawBufferPointer(rebasing: destination[fragmentOffset...]))
    }
}
