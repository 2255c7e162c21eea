/// What a request target (the path and query of a request line) asks the edge for.
public enum TrackingTarget: Equatable, Sendable {
    /// `/{link}/{partner}[.{child}][/{ad}][?query]`
    case tracking(TrackingPath)
    /// `/healthz`
    case health
    /// A well-formed path that is not a tracking URL (`/`, or a single code).
    case notFound
    /// A path no tracking URL can have; the edge answers 400.
    case malformed(MalformedPath)
}

/// The parts of a tracking URL, as ranges of the target's bytes.
public struct TrackingPath: Equatable, Sendable, BitwiseCopyable {
    public var link: ByteRange
    public var partner: ByteRange
    public var child: ByteRange?
    public var ad: ByteRange?
    /// The query after `?`, when there is one.
    public var query: ByteRange?

    @inlinable
    public init(link: ByteRange, partner: ByteRange, child: ByteRange? = nil, ad: ByteRange? = nil, query: ByteRange? = nil) {
        self.link = link
        self.partner = partner
        self.child = child
        self.ad = ad
        self.query = query
    }
}

/// Why a target cannot be a tracking URL. Counted by reason, never logged per request.
public enum MalformedPath: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The target does not start with `/` (absolute-form, authority-form, `*`).
    case notOriginForm
    /// A byte outside the code alphabet, or a `.` anywhere but between partner and child.
    case badCharacter
    /// A `%` in the path: codes are never percent-encoded.
    case percentEncoded
    /// A code over 32 characters.
    case codeTooLong
    /// An empty segment or code (`//`, a trailing `/`, `abc.`).
    case emptySegment
    /// A `.` or `..` segment.
    case dotSegment
    /// More than three segments.
    case tooManySegments
    /// A `#` in the target: fragments are never sent.
    case fragment

    public var description: String {
        switch self {
        case .notOriginForm: "target not in origin form"
        case .badCharacter: "character outside A-Z a-z 0-9 - _"
        case .percentEncoded: "percent-encoded character in path"
        case .codeTooLong: "code longer than 32 characters"
        case .emptySegment: "empty code"
        case .dotSegment: "dot segment"
        case .tooManySegments: "too many segments"
        case .fragment: "fragment in target"
        }
    }
}

extension TrackingTarget {
    /// Classifies a request target. Allocates nothing.
    @inlinable
    public static func parse(_ target: UnsafeRawBufferPointer) -> TrackingTarget {
        let count = target.count
        guard count > 0, target[0] == UInt8(ascii: "/") else { return .malformed(.notOriginForm) }

        var pathEnd = count
        var query: ByteRange? = nil
        for i in 1..<count {
            let byte = target[i]
            if byte == UInt8(ascii: "#") { return .malformed(.fragment) }
            if byte == UInt8(ascii: "?") && query == nil {
                pathEnd = i
                query = ByteRange(i + 1, count)
            }
        }
        if pathEnd == 1 { return .notFound }
        if pathEnd == 8 && matches(target, from: 1, "healthz") { return .health }

        // Up to three segments: link, partner[.child], ad.
        var segments = (ByteRange(0, 0), ByteRange(0, 0), ByteRange(0, 0))
        var child: ByteRange? = nil
        var segmentCount = 0
        var start = 1
        var position = 1
        while position <= pathEnd {
            if position < pathEnd && target[position] != UInt8(ascii: "/") {
                position += 1
                continue
            }
            // A segment ends at `position`.
            let length = position - start
            if length == 0 { return .malformed(.emptySegment) }
            if segmentCount == 3 { return .malformed(.tooManySegments) }
            if target[start] == UInt8(ascii: "."),
               length == 1 || (length == 2 && target[start + 1] == UInt8(ascii: ".")) {
                return .malformed(.dotSegment)
            }
            var dot = -1
            for i in start..<position {
                let byte = target[i]
                if CodeAlphabet.fold(byte) != 0 { continue }
                if byte == UInt8(ascii: "%") { return .malformed(.percentEncoded) }
                if byte == UInt8(ascii: ".") && segmentCount == 1 && dot < 0 {
                    dot = i
                    continue
                }
                return .malformed(.badCharacter)
            }
            var code = ByteRange(start, position)
            if dot >= 0 {
                code = ByteRange(start, dot)
                let childRange = ByteRange(dot + 1, position)
                if code.isEmpty || childRange.isEmpty { return .malformed(.emptySegment) }
                if childRange.count > CodeAlphabet.maxLength { return .malformed(.codeTooLong) }
                child = childRange
            }
            if code.count > CodeAlphabet.maxLength { return .malformed(.codeTooLong) }
            switch segmentCount {
            case 0: segments.0 = code
            case 1: segments.1 = code
            default: segments.2 = code
            }
            segmentCount += 1
            position += 1
            start = position
        }
        if segmentCount < 2 { return .notFound }
        return .tracking(TrackingPath(
            link: segments.0, partner: segments.1, child: child,
            ad: segmentCount == 3 ? segments.2 : nil, query: query
        ))
    }

    @inlinable
    static func matches(_ buffer: UnsafeRawBufferPointer, from offset: Int, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard offset + n <= buffer.count else { return false }
        for i in 0..<n where buffer[offset + i] != literal.utf8Start[i] { return false }
        return true
    }
}
