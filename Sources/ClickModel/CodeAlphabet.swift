/// The alphabet of every code in a tracking URL (links, partners, children, ads,
/// promo codes): 1 to 32 characters of `A-Z a-z 0-9 - _`, compared
/// case-insensitively by folding to lower case.
///
/// These functions work on bytes so the edge can check and hash codes straight
/// out of its read buffer without building a `String`.
public enum CodeAlphabet {
    /// The longest code, in bytes.
    public static let maxLength = 32

    /// The byte folded to lower case, or 0 when it is outside the alphabet.
    @inlinable @inline(__always)
    public static func fold(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            return byte
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return byte | 0x20
        default:
            return 0
        }
    }

    /// Whether `bytes` is a code: 1 to 32 bytes, all in the alphabet.
    @inlinable
    public static func isCode(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 1, bytes.count <= maxLength else { return false }
        for byte in bytes where fold(byte) == 0 { return false }
        return true
    }

    /// Whether two codes are equal ignoring case. Both must already be codes.
    @inlinable
    public static func equalFolded(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where fold(a[i]) != fold(b[i]) { return false }
        return true
    }
}

/// A validated code in its canonical (lower-case) spelling, for everything off
/// the edge's hot path: the store, the API, the catalogue builder.
public struct Code: Hashable, Sendable, CustomStringConvertible {
    /// The folded spelling; what the store keeps and URLs are built from.
    public let value: String

    /// A code from user input, or nil when it is empty, longer than 32 bytes or
    /// holds a character outside `A-Z a-z 0-9 - _`.
    public init?(_ text: String) {
        var utf8 = Array(text.utf8)
        let valid = utf8.withUnsafeBytes { CodeAlphabet.isCode($0) }
        guard valid else { return nil }
        for i in utf8.indices { utf8[i] = CodeAlphabet.fold(utf8[i]) }
        self.value = String(decoding: utf8, as: UTF8.self)
    }

    /// A code as the store keeps it: accepted only when it is already valid
    /// and folded, so reading a million codes copies none of them.
    public init?(folded text: String) {
        var text = text
        let valid = text.withUTF8 { bytes in
            guard bytes.count >= 1, bytes.count <= CodeAlphabet.maxLength else { return false }
            for byte in bytes where CodeAlphabet.fold(byte) != byte { return false }
            return true
        }
        guard valid else {
            guard let code = Code(text) else { return nil }
            self = code
            return
        }
        self.value = text
    }

    public var description: String { value }
}
