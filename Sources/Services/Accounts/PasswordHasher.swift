import Dispatch
import HummingbirdBcrypt

/// bcrypt, off Swift's shared executor: a hash takes a quarter of a second
/// of CPU at the default cost, so it runs on a queue of its own and the
/// caller awaits it.
public struct PasswordHasher: Sendable {
    /// bcrypt's cost: 2^cost rounds.
    public let cost: UInt8
    private static let queue = DispatchQueue(label: "clickline.bcrypt", attributes: .concurrent)

    public init(cost: UInt8 = 12) {
        self.cost = cost
    }

    public func hash(_ password: String) async -> String {
        let cost = self.cost
        return await Self.offload { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` is the one hashed; without a hash, it spends the
    /// same time and answers false, so the answer's timing does not tell
    /// whether an account exists.
    public func verify(_ password: String, hash: String?) async -> Bool {
        let cost = self.cost
        return await Self.offload {
            guard let hash else {
                _ = Bcrypt.hash(password, cost: cost)
                return false
            }
            return Bcrypt.verify(password, hash: hash)
        }
    }

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
