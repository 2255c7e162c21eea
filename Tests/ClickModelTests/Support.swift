import ClickModel

/// Runs `body` with the bytes of `text`.
func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBytes(body)
}

extension ByteRange {
    func string(in text: String) -> String {
        let bytes = Array(text.utf8)
        return String(decoding: bytes[Int(start)..<Int(end)], as: UTF8.self)
    }
}
