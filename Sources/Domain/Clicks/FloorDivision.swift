/// `a / b` rounded towards minus infinity: the minute, hour or day a time
/// falls in, before 1970 too. Both stores cut times into periods with it.
@inlinable
public func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}
