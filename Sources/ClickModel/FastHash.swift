/// Small, fast, non-cryptographic hashes for the hot path's open-addressing
/// tables and the per-client fingerprint. `Hasher` (SipHash) is the right
/// default elsewhere; here every nanosecond of a redirect counts and the inputs
/// are short codes and ids.
public enum FastHash {
    /// The 64-bit finaliser of MurmurHash3: every input bit affects every output bit.
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x &>> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x &>> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x &>> 33
        return x
    }

    /// Hash of a code folded to lower case (FNV-1a, then `mix`), so that `ABC`
    /// and `abc` land in the same slot. Bytes outside the alphabet hash as 0.
    @inlinable
    public static func foldedCode(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(CodeAlphabet.fold(byte))
            h &*= 0x0000_0100_0000_01b3
        }
        return mix(h)
    }

    /// Hash of arbitrary bytes with a seed, eight bytes at a time.
    @inlinable
    public static func bytes(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(truncatingIfNeeded: bytes.count) &* 0x9e37_79b9_7f4a_7c15)
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            h = (h ^ mix(word)) &* 0x9e37_79b9_7f4a_7c15
            h = (h &<< 31) | (h &>> 33)
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(bytes[offset]) &<< shift
                shift += 8
                offset += 1
            }
            h = (h ^ mix(tail)) &* 0x9e37_79b9_7f4a_7c15
        }
        return mix(h)
    }

    /// Combines two 64-bit values into one hash.
    @inlinable @inline(__always)
    public static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        mix(a ^ (b &* 0x9e37_79b9_7f4a_7c15) ^ (a &>> 29))
    }
}
