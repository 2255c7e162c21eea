import ClickModel
import Domain

/// Records a conversion reported by a postback or an order webhook: the
/// amount in the workspace's currency, credited by the rules of attribution
/// and commission (`ConversionRules`), stored and durable before it answers.
public struct ConversionRecorder: Sendable {
    public typealias Store = ConversionStore & WorkspaceStore

    let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    /// The amount a caller sent, `49.90` in the currency's major unit, as
    /// money in the workspace's currency: refused (naming `field`, or
    /// `currency`) when the currency is another or the text is no amount.
    public func amount(_ text: String?, currency code: String?, field: String) async throws -> Money {
        let workspace = try await store.currency()
        if let code, !code.isEmpty {
            guard let currency = Currency(code) else { throw DomainError.invalid("currency", "a currency is an ISO 4217 code like USD") }
            guard currency == workspace else {
                throw DomainError.invalid("currency", "this workspace keeps its books in \(workspace.code), not \(currency.code)")
            }
        }
        guard let text, !text.isEmpty else { throw DomainError.invalid(field, "is required, as a decimal string like 49.90") }
        guard let money = Money.parse(text, currency: workspace) else {
            throw DomainError.invalid(field, "must be a decimal string like 49.90: no sign, at most \(workspace.exponent) decimals, "
                                      + "at most \(Money(minorUnits: Money.maxMinorUnits, currency: workspace).decimalString)")
        }
        return money
    }

    /// Records the conversion: `.created` once it is durable, `.existing` for
    /// an order recorded before, `.ignored` for what credits no offer here.
    /// Past the task's `Deadline` nothing is recorded and it throws
    /// `StoreError(.unavailable)`.
    public func record(_ request: ConversionRequest) async throws -> ConversionRecording {
        try await store.recordConversion(request) { ConversionRules.plan($0) }
    }
}
