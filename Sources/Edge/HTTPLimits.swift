/// The limits the edge puts on a request head (SPEC section 2). Each is a setting.
public struct HTTPLimits: Sendable, Equatable {
    /// The longest request line, without its CRLF; longer gets 414. Default 8 KiB.
    public var requestLine: Int
    /// The largest header block (all header lines after the request line);
    /// larger gets 431. Default 32 KiB.
    public var headerBlock: Int
    /// The most header lines; more gets 431. Default 100.
    public var headerCount: Int

    public init(requestLine: Int = 8 * 1024, headerBlock: Int = 32 * 1024, headerCount: Int = 100) {
        self.requestLine = requestLine
        self.headerBlock = headerBlock
        self.headerCount = headerCount
    }

    /// The most bytes a request head can take, leading empty lines included.
    public var maxHeadBytes: Int { requestLine + 2 + headerBlock + 2 + HeadScanner.maxLeadingEmptyLines * 2 }
}
